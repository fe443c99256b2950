/**
 * `meshkeeper cluster up|status|down` as a person runs it: a background cluster that a
 * stock kubectl talks to through the printed KUBECONFIG line, and clean errors and exits.
 */
import { execFile, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { once } from "node:events";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { isAlive } from "../../operator/local/pids.ts";
import { processesMentioning } from "../processes.ts";
import { scratchDir } from "../scratch.ts";

const MAIN = new URL("../../operator/cli/main.ts", import.meta.url).pathname;
const stateDir = scratchDir("cli-state");
const env = { ...process.env, MESHKEEPER_STATE_DIR: stateDir };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function meshkeeperWith(runEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  try {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env: runEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${condition.toString()}`);
    await sleep(100);
  }
}

function meshkeeper(...args: string[]): Promise<Run> {
  return meshkeeperWith(env, ...args);
}

afterAll(async () => {
  await meshkeeper("cluster", "down");
});

describe("meshkeeper cluster", () => {
  it("starts in the background, serves kubectl, reports status and stops", async () => {
    const up = await meshkeeper("cluster", "up", "--nodes", "2");
    expect(up.code).toBe(0);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(up.stdout)?.[1] ?? "";
    expect(existsSync(kubeconfig)).toBe(true);

    const kubectl = locateBinary(BINARIES.kubectl)?.path ?? "kubectl";
    const nodes = await promisify(execFile)(kubectl, ["get", "nodes", "-o", "name"], {
      env: { ...env, KUBECONFIG: kubeconfig },
    });
    expect(nodes.stdout.trim().split("\n")).toEqual(["node/kwok-node-0", "node/kwok-node-1"]);

    const status = await meshkeeper("cluster", "status");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/kube-apiserver\s+\d+\s+\d+\s+running/);
    expect(status.stdout).toContain(`export KUBECONFIG=${kubeconfig}`);

    const again = await meshkeeper("cluster", "up");
    expect(again.stdout).toContain("already running");

    const down = await meshkeeper("cluster", "down");
    expect(down.stdout).toContain("local cluster stopped");
    expect(existsSync(join(stateDir, "cluster"))).toBe(false);
    expect((await meshkeeper("cluster", "status")).code).toBe(1);
  });

  it("fails with one clear message when the API server port is taken", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const up = await meshkeeper("cluster", "up", "--port", String(port));
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(
        `error: port ${port} on 127.0.0.1 (kube-apiserver) is already in use`,
      );
      expect(up.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(existsSync(join(stateDir, "state.json"))).toBe(false);
    } finally {
      server.close();
    }
  });

  it("reports a component that crashes in the background supervisor, and leaves nothing", async () => {
    const fake = join(stateDir, "fake-apiserver");
    writeFileSync(fake, "#!/bin/sh\necho 'fake apiserver: bad flag' >&2\nexit 3\n");
    chmodSync(fake, 0o755);
    const up = await meshkeeperWith({ ...env, TEST_ASSET_KUBE_APISERVER: fake }, "cluster", "up");
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      "error: kube-apiserver exited with code 3 before it could become healthy",
    );
    expect(up.stderr).toContain("fake apiserver: bad flag");
    expect(up.stderr).toContain("full log:");
    expect(existsSync(join(stateDir, "cluster"))).toBe(false);
    expect(existsSync(join(stateDir, "state.json"))).toBe(false);
    // The watchdog notices the folder is gone within its 0.5 s poll.
    await until(() => processesMentioning(join(stateDir, "cluster")).length === 0);
  });

  for (const stopper of ["Ctrl-C on up", "down"] as const) {
    it(`stops a cluster that is still starting, on ${stopper}`, async () => {
      const up = spawn(process.execPath, [MAIN, "cluster", "up"], { env, stdio: "ignore" });
      const stateFile = join(stateDir, "state.json");
      await until(() => existsSync(stateFile));
      const { pid } = JSON.parse(readFileSync(stateFile, "utf8")) as { pid: number };
      if (stopper === "down")
        expect((await meshkeeper("cluster", "down")).stdout).toContain("stopped");
      else up.kill("SIGINT");
      await until(() => !isAlive(pid) && !existsSync(stateFile));
      await until(() => processesMentioning(join(stateDir, "cluster")).length === 0);
      if (up.exitCode === null) up.kill("SIGKILL");
    });
  }

  it("runs the demo: cluster, CRD, operator, the production mesh Ready, status", async () => {
    await meshkeeper("cluster", "down"); // whatever earlier tests left, start clean
    const demo = await meshkeeper("demo");
    expect(demo.code, demo.stderr + demo.stdout).toBe(0);
    expect(demo.stdout).toContain("installed the MeshConfig CRD");
    expect(demo.stdout).toMatch(/operator started in the background \(pid \d+\)/);
    expect(demo.stdout).toMatch(/Ready: istiod, the injector and every gateway are serving/);
    expect(demo.stdout).toMatch(/^Ready\s+True\s+MeshReady/m);
    expect(demo.stdout).toMatch(/^gateway istio-ingress\/istio-ingressgateway\s+\d+\/\d+/m);
    expect(demo.stdout).toContain("export KUBECONFIG=");
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(demo.stdout)?.[1] ?? "";
    const status = await meshkeeper("status", "--kubeconfig", kubeconfig);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^PoliciesApplied\s+True/m);
    const asJson = await meshkeeper("status", "--kubeconfig", kubeconfig, "-o", "json");
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      kind: "MeshConfig",
      metadata: { name: "default" },
    });
    const cluster = await meshkeeper("cluster", "status", "-o", "json");
    expect(cluster.code, cluster.stderr).toBe(0);
    const view = JSON.parse(cluster.stdout) as {
      ready: boolean;
      kubeconfig: string;
      components: { running: boolean }[];
    };
    expect(view).toMatchObject({ ready: true, kubeconfig });
    expect(view.components.length).toBeGreaterThanOrEqual(5);
    expect(view.components.every((c) => c.running)).toBe(true);
    const down = await meshkeeper("cluster", "down");
    expect(down.stdout).toContain("operator stopped");
    expect(down.stdout).toContain("local cluster stopped");
  });

  it("rejects bad arguments before starting anything", async () => {
    const bad = await meshkeeper("cluster", "up", "--nodes", "zero");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--nodes zero is not a node count");
    const unknown = await meshkeeper("cluster", "sideways");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown cluster command: sideways");
  });
});
