/**
 * The detached process that keeps the demo's real istiod running (background-istiod.ts
 * starts it; run as `node istiod-supervisor.ts --identity local-istiod --kubeconfig ...`).
 * It does what a kubelet would for the istiod pod: starts istiod with the Deployment's
 * args, env and volumes (startMeshIstiod), re-syncs Secret and ConfigMap files every
 * minute (so a renewed intermediate reaches istiod), restarts istiod if it exits, and
 * restarts it with a fresh ServiceAccount token before the last one (an hour) expires.
 * SIGTERM stops istiod and removes the state file.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { loadClusterAccess } from "../kube/kubeconfig.ts";
import { RestClient } from "../kube/rest-client.ts";
import type { IstiodState } from "./background-istiod.ts";
import { startMeshIstiod, type MeshIstiod } from "./mesh-istiod.ts";

const SYNC_EVERY_MS = 60_000;
/** Tokens are minted for an hour; a fresh istiod well before that. */
const RENEW_EVERY_MS = 45 * 60_000;
const RESTART_BACKOFF_MS = 10_000;

const { values } = parseArgs({
  options: {
    identity: { type: "string" },
    kubeconfig: { type: "string" },
    binary: { type: "string" },
    namespace: { type: "string", default: "istio-system" },
    deployment: { type: "string", default: "istiod" },
    "work-dir": { type: "string" },
    "state-file": { type: "string" },
    "pid-file": { type: "string" },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== "string" || !value) throw new Error(`--${name} is required`);
  return value;
}

const log = (line: string) => {
  console.log(`${new Date().toISOString()} ${line}`);
};

/** The API server's address and CA, as the kubeconfig states them. */
function clusterOf(kubeconfig: string): { server: string; certificateAuthority: string } {
  const config = parse(readFileSync(kubeconfig, "utf8")) as {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: Record<string, string> }[];
  };
  const context = config.contexts?.find((c) => c.name === config["current-context"]);
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`${kubeconfig} names no current cluster`);
  const caData = cluster["certificate-authority-data"];
  const caFile = cluster["certificate-authority"];
  const certificateAuthority = caData
    ? Buffer.from(caData, "base64").toString()
    : caFile
      ? readFileSync(isAbsolute(caFile) ? caFile : join(dirname(kubeconfig), caFile), "utf8")
      : "";
  if (!certificateAuthority) throw new Error(`${kubeconfig} has no CA for ${cluster.server}`);
  return { server: cluster.server, certificateAuthority };
}

/** What the binary says it is (`pilot-discovery version -o json`). */
function binaryVersion(binary: string): string {
  try {
    const output = execFileSync(binary, ["version", "-o", "json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const report = JSON.parse(output) as { clientVersion?: { version?: string } };
    return report.clientVersion?.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const kubeconfig = required("kubeconfig");
  const binary = required("binary");
  const workDir = required("work-dir");
  const stateFile = required("state-file");
  writeFileSync(required("pid-file"), `${process.pid}\n`);
  const admin = new RestClient(loadClusterAccess(kubeconfig));
  const cluster = clusterOf(kubeconfig);
  const version = binaryVersion(binary);
  const namespace = values.namespace;
  const deployment = values.deployment;

  let current: MeshIstiod | undefined;
  // Set by the signal handlers, read by the loop.
  const shutdownState = { stopping: false };
  const isStopping = () => shutdownState.stopping;
  const start = async () => {
    current = await startMeshIstiod({
      admin,
      ...cluster,
      binary,
      workDir,
      namespace,
      deployment,
    });
    const state: IstiodState = {
      supervisorPid: process.pid,
      version,
      deployment,
      namespace,
      ports: current.istiod.ports,
      log: current.istiod.logPath,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    log(`istiod ${version} ready: ${JSON.stringify(state.ports)}`);
  };
  const shutdown = async () => {
    shutdownState.stopping = true;
    rmSync(stateFile, { force: true });
    await current?.stop();
    log("istiod stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());

  await start();
  let startedAt = Date.now();
  while (!isStopping()) {
    await sleep(SYNC_EVERY_MS);
    if (isStopping()) break;
    try {
      if (!current?.istiod.running) {
        log("istiod exited; restarting it");
        await sleep(RESTART_BACKOFF_MS);
        await start();
        startedAt = Date.now();
      } else if (Date.now() - startedAt > RENEW_EVERY_MS) {
        log("restarting istiod with a fresh ServiceAccount token");
        await current.stop();
        await start();
        startedAt = Date.now();
      } else {
        await current.syncVolumes();
      }
    } catch (error) {
      log(`supervision step failed (retrying in a minute): ${(error as Error).message}`);
    }
  }
}

main().catch((error: unknown) => {
  log(`cannot run istiod: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
