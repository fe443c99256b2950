/**
 * The operator as a background process next to the background cluster (the demo's): it
 * keeps reconciling after the demo command returns, so people can break things and watch
 * them heal. Its pid and log live beside the cluster's state; `cluster down` stops it
 * first. As everywhere here, a pid is only signalled after checking it is still ours.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureOperatorBundle } from "../build/operator-bundle.ts";
import type { Env } from "./assets.ts";
import { backgroundPaths } from "./background.ts";
import { isAlive, isOurs, signalGroupIfOurs } from "./pids.ts";

/**
 * How the operator process is started everywhere (here, the Dockerfile, config/manager,
 * `npm run operator`), each flag for resident memory (docs/footprint.md has the figures):
 * - a 1 MiB young generation keeps tens of MiB of V8 nursery out of it;
 * - --expose-gc lets the operator collect once a burst of work is over
 *   (runtime/idle-collector.ts) instead of sitting on its garbage until the next one;
 * - no optimizing compilers (--no-opt: TurboFan, --no-maglev): their code in the node
 *   binary is never paged in and their compile zones never fragment malloc's heap, about
 *   14 MiB less at Ready. Ignition and Sparkplug still run everything; the render costs
 *   about a third more CPU, and the reconciler renders only when the spec changes.
 */
export const OPERATOR_NODE_FLAGS = [
  "--max-semi-space-size=1",
  "--expose-gc",
  "--no-opt",
  "--no-maglev",
] as const;

/**
 * The operator's environment beyond the caller's, for glibc's malloc: one arena instead
 * of one per thread that allocates (V8's GC workers, libuv's pool), each of which keeps
 * its freed memory; and blocks of 64 KiB or more mapped on their own, so freeing them
 * gives them back. About 5 MiB less at Ready (docs/footprint.md).
 */
export const OPERATOR_ENV = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "65536" } as const;

/** The environment an operator process starts with: `env` plus OPERATOR_ENV. */
export function operatorEnv(env: Env = process.env): NodeJS.ProcessEnv {
  return { ...env, ...OPERATOR_ENV };
}

/**
 * node's arguments for `meshkeeper run` against a kubeconfig, with a free health port.
 * It runs the bundle the image ships (dist/meshkeeper.js), rebuilt first if any source
 * changed, so the demo, the tests and the benchmarks start what production runs.
 */
export function operatorArgs(kubeconfig: string, ...extra: string[]): string[] {
  return [
    ...OPERATOR_NODE_FLAGS,
    ensureOperatorBundle(),
    "run",
    "--kubeconfig",
    kubeconfig,
    "--health-port",
    "0",
    ...extra,
  ];
}
/** In the operator's command line, and nowhere else. */
export const OPERATOR_MARK = "--identity local-operator";

export function operatorPaths(env: Env = process.env) {
  const { root } = backgroundPaths(env);
  return { pidFile: join(root, "operator.pid"), log: join(root, "operator.log") };
}

function runningPid(env: Env): number | undefined {
  const { pidFile } = operatorPaths(env);
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return isOurs(pid, OPERATOR_MARK) ? pid : undefined;
}

/** Starts the operator against the kubeconfig, or finds the one already running. */
export function startBackgroundOperator(
  kubeconfig: string,
  env: Env = process.env,
): { pid: number; log: string; started: boolean } {
  const { pidFile, log } = operatorPaths(env);
  const existing = runningPid(env);
  if (existing !== undefined) return { pid: existing, log, started: false };
  const out = openSync(log, "a");
  try {
    const child = spawn(
      process.execPath,
      operatorArgs(kubeconfig, "--lease-namespace", "kube-system", ...OPERATOR_MARK.split(" ")),
      { detached: true, stdio: ["ignore", out, out], env: operatorEnv() },
    );
    child.unref();
    writeFileSync(pidFile, `${child.pid ?? -1}\n`);
    return { pid: child.pid ?? -1, log, started: true };
  } finally {
    closeSync(out);
  }
}

/** Stops the background operator (SIGTERM: it releases its lease), if one runs. */
export async function stopBackgroundOperator(env: Env = process.env): Promise<boolean> {
  const pid = runningPid(env);
  rmSync(operatorPaths(env).pidFile, { force: true });
  if (pid === undefined) return false;
  signalGroupIfOurs(pid, "SIGTERM", OPERATOR_MARK);
  for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
  signalGroupIfOurs(pid, "SIGKILL", OPERATOR_MARK);
  return true;
}
