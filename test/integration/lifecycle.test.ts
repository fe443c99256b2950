/**
 * The local control plane's failure and shutdown paths: every bad start ends with one clear
 * message and no leftover process or folder, and so does every way its owner can end.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LocalControlPlane } from "../../operator/local/control-plane.ts";
import { LocalClusterError } from "../../operator/local/errors.ts";
import { processesMentioning } from "../processes.ts";
import { scratchDir } from "../scratch.ts";

const HOLD_CLUSTER = new URL("../fixtures/hold-cluster.ts", import.meta.url).pathname;

async function expectNothingLeft(folder: string, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((processesMentioning(folder).length > 0 || existsSync(folder)) && Date.now() < deadline) {
    await sleep(100);
  }
  expect(processesMentioning(folder)).toEqual([]);
  expect(existsSync(folder)).toBe(false);
}

function newWorkDir(): string {
  return join(scratchDir("lifecycle"), "cluster");
}

async function listeningServer(): Promise<Server> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

describe("local control plane lifecycle", () => {
  it("refuses a port that is already taken, before starting anything", async () => {
    const server = await listeningServer();
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const workDir = newWorkDir();
    try {
      const start = LocalControlPlane.start({ apiserverPort: port, workDir });
      await expect(start).rejects.toThrow(LocalClusterError);
      await expect(start).rejects.toThrow(
        `port ${port} on 127.0.0.1 (kube-apiserver) is already in use`,
      );
    } finally {
      server.close();
    }
    await expectNothingLeft(workDir);
  });

  it("names a crashing component and its log, and stops what was already running", async () => {
    const scratch = scratchDir("crash");
    const fake = join(scratch, "kube-apiserver");
    writeFileSync(fake, "#!/bin/sh\necho 'F1122 fake apiserver: cannot start' >&2\nexit 3\n");
    chmodSync(fake, 0o755);
    const workDir = newWorkDir();
    const start = LocalControlPlane.start({
      workDir,
      env: { ...process.env, TEST_ASSET_KUBE_APISERVER: fake },
    });
    const error: unknown = await start.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalClusterError);
    const message = (error as Error).message;
    expect(message).toContain("kube-apiserver exited with code 3 before it could become healthy");
    expect(message).toContain(join(workDir, "logs", "kube-apiserver.log"));
    expect(message).toContain("fake apiserver: cannot start");
    // etcd had started; it must be gone too.
    await expectNothingLeft(workDir);
  });

  it("gives up on a component that never becomes healthy, naming it and its timeout", async () => {
    const fake = join(scratchDir("hang"), "kube-apiserver");
    writeFileSync(fake, "#!/bin/sh\necho 'waiting forever'\nexec sleep 600\n");
    chmodSync(fake, 0o755);
    const workDir = newWorkDir();
    const start = LocalControlPlane.start({
      workDir,
      componentTimeoutMs: 1500,
      env: { ...process.env, TEST_ASSET_KUBE_APISERVER: fake },
    });
    const error: unknown = await start.catch((e: unknown) => e);
    expect((error as Error).message).toContain("kube-apiserver did not become healthy within 1.5s");
    expect((error as Error).message).toContain("waiting forever");
    await expectNothingLeft(workDir);
  });

  it("stop() ends every component and removes the work folder", async () => {
    const workDir = newWorkDir();
    const plane = await LocalControlPlane.start({ workDir });
    expect(plane.components().map((c) => c.component)).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kwok",
    ]);
    expect(processesMentioning(workDir).length).toBeGreaterThanOrEqual(5);
    await plane.stop();
    await expectNothingLeft(workDir, 1000);
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    it(`leaves nothing behind when its owner gets ${signal}`, async () => {
      const workDir = newWorkDir();
      const owner = spawn(process.execPath, [HOLD_CLUSTER, workDir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        let output = "";
        owner.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        while (!output.includes("ready")) {
          if (owner.exitCode !== null) throw new Error(`hold-cluster exited early: ${output}`);
          await sleep(100);
        }
        expect(processesMentioning(workDir).length).toBeGreaterThanOrEqual(5);
        owner.kill(signal);
        await once(owner, "exit");
      } finally {
        // A failed assertion above must not leave a whole control plane running.
        if (owner.exitCode === null && owner.signalCode === null) owner.kill("SIGKILL");
      }
      // SIGKILL gives the owner no chance to clean up: the watchdog (polling every 0.5 s) does.
      await expectNothingLeft(workDir, 5000);
    });
  }
});
