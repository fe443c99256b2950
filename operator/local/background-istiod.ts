/**
 * A real istiod beside the demo's cluster (`npm run demo -- --istiod`). The cluster's
 * istiod Deployment is simulated by KWOK (its pod never runs a container), so this runs
 * Istio's own pilot-discovery as a local process with exactly what the operator applied
 * (startMeshIstiod: the Deployment's args and env, the cacerts Secret, a token of istiod's
 * ServiceAccount). A detached supervisor (istiod-supervisor.ts) owns it, re-syncs its
 * Secret and ConfigMap files the way a kubelet does, renews its token before it expires,
 * and records where it listens in a state file; `cluster down` stops it. As everywhere
 * here, a pid is only signalled after checking it is still ours.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Env } from "./assets.ts";
import { backgroundPaths } from "./background.ts";
import { LocalClusterError } from "./errors.ts";
import { isAlive, isOurs, signalGroupIfOurs } from "./pids.ts";

const SUPERVISOR = fileURLToPath(new URL("./istiod-supervisor.ts", import.meta.url));
/** In the supervisor's command line, and nowhere else. */
export const ISTIOD_MARK = "--identity local-istiod";

/** What the supervisor writes once istiod is ready (and rewrites after each restart). */
export interface IstiodState {
  readonly supervisorPid: number;
  readonly version: string;
  readonly deployment: string;
  readonly namespace: string;
  readonly ports: {
    readonly http: number;
    readonly grpc: number;
    readonly secureGrpc: number;
    readonly webhook: number;
    readonly monitoring: number;
  };
  readonly log: string;
  readonly startedAt: string;
}

export function istiodPaths(env: Env = process.env) {
  const { root } = backgroundPaths(env);
  return {
    pidFile: join(root, "istiod.pid"),
    stateFile: join(root, "istiod.json"),
    supervisorLog: join(root, "istiod-supervisor.log"),
    workDir: join(root, "istiod"),
  };
}

function runningPid(env: Env): number | undefined {
  const { pidFile } = istiodPaths(env);
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return isOurs(pid, ISTIOD_MARK) ? pid : undefined;
}

/** The running istiod's state, or undefined when none runs (or it is still starting). */
export function readIstiodState(env: Env = process.env): IstiodState | undefined {
  const pid = runningPid(env);
  const { stateFile } = istiodPaths(env);
  if (pid === undefined || !existsSync(stateFile)) return undefined;
  try {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as IstiodState;
    return state.supervisorPid === pid ? state : undefined;
  } catch {
    return undefined;
  }
}

export interface BackgroundIstiodOptions {
  readonly kubeconfig: string;
  /** pilot-discovery, already built (ensureIstioBinaries). */
  readonly binary: string;
  readonly namespace?: string;
  readonly deployment?: string;
  readonly env?: Env;
  readonly readyTimeoutMs?: number;
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Starts the supervised istiod and waits until it is ready, or finds the one running. */
export async function startBackgroundIstiod(
  options: BackgroundIstiodOptions,
): Promise<{ state: IstiodState; started: boolean }> {
  const env = options.env ?? process.env;
  const paths = istiodPaths(env);
  const existing = readIstiodState(env);
  if (existing) return { state: existing, started: false };
  await stopBackgroundIstiod(env);
  rmSync(paths.stateFile, { force: true });
  const out = openSync(paths.supervisorLog, "a");
  let pid: number;
  try {
    const child = spawn(
      process.execPath,
      [
        SUPERVISOR,
        ...ISTIOD_MARK.split(" "),
        `--kubeconfig=${options.kubeconfig}`,
        `--binary=${options.binary}`,
        `--namespace=${options.namespace ?? "istio-system"}`,
        `--deployment=${options.deployment ?? "istiod"}`,
        `--work-dir=${paths.workDir}`,
        `--state-file=${paths.stateFile}`,
        `--pid-file=${paths.pidFile}`,
      ],
      { detached: true, stdio: ["ignore", out, out], env: { ...process.env, ...env } },
    );
    child.unref();
    pid = child.pid ?? -1;
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    const state = readIstiodState(env);
    if (state) return { state, started: true };
    if (!isAlive(pid)) break;
    await sleep(250);
  }
  await stopBackgroundIstiod(env);
  throw new LocalClusterError(
    `the real istiod did not become ready; its supervisor's log ends:\n${tail(paths.supervisorLog)}`,
    `read ${paths.supervisorLog} and ${join(paths.workDir, "istiod.log")}`,
  );
}

/** Stops the supervised istiod (SIGTERM: the supervisor stops istiod first), if one runs. */
export async function stopBackgroundIstiod(env: Env = process.env): Promise<boolean> {
  const pid = runningPid(env);
  const paths = istiodPaths(env);
  if (pid === undefined) {
    rmSync(paths.pidFile, { force: true });
    rmSync(paths.stateFile, { force: true });
    return false;
  }
  signalGroupIfOurs(pid, "SIGTERM", ISTIOD_MARK);
  for (let waited = 0; isAlive(pid) && waited < 15_000; waited += 100) await sleep(100);
  signalGroupIfOurs(pid, "SIGKILL", ISTIOD_MARK);
  rmSync(paths.pidFile, { force: true });
  rmSync(paths.stateFile, { force: true });
  return true;
}
