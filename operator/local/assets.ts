/**
 * Finds the control-plane binaries, following the envtest conventions first so a machine
 * that already has kubebuilder assets reuses them:
 *   1. TEST_ASSET_<NAME>   (e.g. TEST_ASSET_KUBE_APISERVER=/opt/k8s/kube-apiserver)
 *   2. KUBEBUILDER_ASSETS  (a folder holding binaries by their plain names)
 *   3. the per-user cache  (<cache>/bin/<name>/<version>/<name>, filled by our own build)
 * Whatever is still missing is reported so the caller can build it from tools/.
 */
import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BINARIES, type BinaryKey, type BinarySpec } from "./components.ts";
import { LocalClusterError } from "./errors.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export function cacheRoot(env: Env = process.env): string {
  if (env.MESHKEEPER_CACHE_DIR) return env.MESHKEEPER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(base, "meshkeeper");
}

export function cachedBinaryPath(spec: BinarySpec, env: Env = process.env): string {
  return join(cacheRoot(env), "bin", spec.name, spec.version, spec.name);
}

export function testAssetVariable(spec: Pick<BinarySpec, "name">): string {
  return `TEST_ASSET_${spec.name.toUpperCase().replaceAll("-", "_")}`;
}

export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface Located {
  readonly path: string;
  readonly source: "TEST_ASSET" | "KUBEBUILDER_ASSETS" | "cache";
}

/** Where one binary is, or undefined when it has to be built. */
export function locateBinary(spec: BinarySpec, env: Env = process.env): Located | undefined {
  const variable = testAssetVariable(spec);
  const explicit = env[variable];
  if (explicit) {
    // An explicit setting that points nowhere is a mistake to report, not a reason to build.
    if (!isExecutableFile(explicit)) {
      throw new LocalClusterError(
        `${variable}=${explicit} is not an executable file`,
        `fix or unset ${variable}; unset, the binary is taken from KUBEBUILDER_ASSETS, the cache, or built`,
      );
    }
    return { path: explicit, source: "TEST_ASSET" };
  }
  const assets = env.KUBEBUILDER_ASSETS;
  if (assets && isExecutableFile(join(assets, spec.name))) {
    return { path: join(assets, spec.name), source: "KUBEBUILDER_ASSETS" };
  }
  const cached = cachedBinaryPath(spec, env);
  return isExecutableFile(cached) ? { path: cached, source: "cache" } : undefined;
}

export interface AssetSurvey {
  readonly found: Partial<Record<BinaryKey, Located>>;
  readonly missing: readonly BinaryKey[];
}

export function surveyBinaries(env: Env = process.env): AssetSurvey {
  const found: Partial<Record<BinaryKey, Located>> = {};
  const missing: BinaryKey[] = [];
  for (const key of Object.keys(BINARIES) as BinaryKey[]) {
    const located = locateBinary(BINARIES[key], env);
    if (located) found[key] = located;
    else missing.push(key);
  }
  return { found, missing };
}
