/**
 * Runs the two readers of the MeshConfig status that live outside the operator:
 *   - Argo CD's health check (config/argocd/health-meshconfig.lua) through
 *     tools/argocd-health: gopher-lua, the VM Argo CD embeds, with the libraries Argo CD
 *     opens for a custom check (base, package, table, os.time/os.date), `obj` set as Argo
 *     CD sets it, its one-second limit, and its reading of the returned table;
 *   - kstatus (sigs.k8s.io/cli-utils), through tools/kstatus-check.
 * Both are built once into the cache (or taken from TEST_ASSET_ARGOCD_HEALTH /
 * TEST_ASSET_KSTATUS_CHECK). Used by the unit tests on crafted statuses and by the
 * integration tests on live ones.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureGoTool } from "../../../operator/local/go-tool.ts";

export const HEALTH_SCRIPT = fileURLToPath(
  new URL("../../../config/argocd/health-meshconfig.lua", import.meta.url),
);

/** What Argo CD's health check returned. */
export interface Health {
  readonly status: string;
  readonly message: string;
}

/** What kstatus computed. */
export interface KStatus {
  readonly status: string;
  readonly message: string;
}

/** One run of tools/argocd-health, as it ended: for tests of the sandbox itself. */
export interface HealthRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HealthOptions {
  /** The script to run (default: the MeshConfig check). */
  readonly script?: string;
  /** Argo CD's resource.customizations.useOpenLibs for the resource. */
  readonly openLibs?: boolean;
}

/** Runs tools/argocd-health (built first when needed) and returns how it ended. */
export async function healthRunner(): Promise<
  (object: unknown, options?: HealthOptions) => HealthRun
> {
  const binary = await ensureGoTool("argocd-health");
  return (object, options = {}) => {
    const args = [...(options.openLibs ? ["--open-libs"] : []), options.script ?? HEALTH_SCRIPT];
    const result = spawnSync(binary, args, {
      input: JSON.stringify(object),
      encoding: "utf8",
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}

/** A function computing the Argo CD health of a MeshConfig; a failing script throws. */
export async function argoHealthChecker(): Promise<(object: unknown) => Health> {
  const run = await healthRunner();
  return (object) => {
    const result = run(object);
    if (result.code !== 0)
      throw new Error(`the health check failed in Argo CD's VM:\n${result.stderr}`);
    return JSON.parse(result.stdout) as Health;
  };
}

/** A function computing kstatus, after building tools/kstatus-check (cached) once. */
export async function kstatusChecker(): Promise<(object: unknown) => KStatus> {
  const binary = await ensureGoTool("kstatus-check");
  return (object) => {
    const stdout = execFileSync(binary, [], { input: JSON.stringify(object), encoding: "utf8" });
    return JSON.parse(stdout) as KStatus;
  };
}
