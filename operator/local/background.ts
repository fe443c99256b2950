/**
 * The local control plane as a background service for people: `cluster up` starts a
 * detached supervisor process that owns the components and records, in a state file,
 * where everything is; `cluster down` and `cluster status` read that file. The state is
 * written as soon as the supervisor starts ("starting"), so a cluster that is still
 * building or booting can be stopped too.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, type Env } from "./assets.ts";
import type { ComponentInfo } from "./control-plane.ts";
import { isOurs } from "./pids.ts";
import { reap } from "./watchdog.ts";

export interface ClusterState {
  readonly pid: number;
  readonly phase: "starting" | "ready";
  readonly workDir: string;
  readonly supervisorLog: string;
  readonly startedAt: string;
  readonly server?: string;
  readonly kubeconfig?: string;
  readonly components?: readonly ComponentInfo[];
}

/** What the supervisor's command line contains; checked before it is ever signalled. */
export const SUPERVISOR_MARK = "cluster serve";

export function backgroundPaths(env: Env = process.env) {
  const root = env.MESHKEEPER_STATE_DIR ?? join(cacheRoot(env), "local-cluster");
  return {
    root,
    stateFile: join(root, "state.json"),
    workDir: join(root, "cluster"),
    supervisorLog: join(root, "supervisor.log"),
  };
}

export function readState(stateFile: string): ClusterState | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(stateFile: string, state: ClusterState): void {
  writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
}

/** The supervisor the state names is alive and really is our supervisor. */
export function supervisorRunning(state: ClusterState | undefined): state is ClusterState {
  return state !== undefined && isOurs(state.pid, SUPERVISOR_MARK);
}

/** Removes whatever an earlier supervisor left behind when it died without cleaning up. */
export function clearStale(env: Env = process.env): void {
  const paths = backgroundPaths(env);
  if (existsSync(paths.workDir)) reap(paths.workDir);
  rmSync(paths.stateFile, { force: true });
}

export function exportLine(kubeconfig: string): string {
  return `export KUBECONFIG=${kubeconfig}`;
}
