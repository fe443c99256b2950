/**
 * Locates, else builds, the binaries of the real-Istio test tier: Istio's pilot-discovery
 * (istiod) and istioctl from the pinned istio.io/istio module, and our own small Go
 * helpers that speak to istiod (tools/istio/cmd/*). Same rules as the control plane's
 * binaries: TEST_ASSET_<NAME>, KUBEBUILDER_ASSETS, then the per-user cache; a cold build
 * shows progress and takes minutes, a warm one nothing.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { locateBinary, type Env } from "./assets.ts";
import { buildSpecs, type Progress } from "./build.ts";
import {
  ISTIO_HELPER_PACKAGES,
  ISTIO_MODULE_VERSION,
  ISTIO_UPSTREAM_BINARIES,
  ISTIO_VERSION_STAMPS,
  type BinarySpec,
} from "./components.ts";
import { LocalClusterError } from "./errors.ts";

const MODULE_DIR = fileURLToPath(new URL("../../tools/istio/", import.meta.url));

export type IstioBinaryKey =
  keyof typeof ISTIO_UPSTREAM_BINARIES | keyof typeof ISTIO_HELPER_PACKAGES;
export type IstioBinaryPaths = Record<IstioBinaryKey, string>;

/** A helper's cache key: the Istio pin plus a hash of go.mod, go.sum and its own sources. */
function helperVersion(name: string): string {
  const hash = createHash("sha256");
  const dir = join(MODULE_DIR, "cmd", name);
  const files = [
    join(MODULE_DIR, "go.mod"),
    join(MODULE_DIR, "go.sum"),
    ...readdirSync(dir)
      .filter((file) => file.endsWith(".go"))
      .sort()
      .map((file) => join(dir, file)),
  ];
  for (const file of files)
    hash.update(`${file.slice(MODULE_DIR.length)}\0`).update(readFileSync(file));
  return `${ISTIO_MODULE_VERSION}-${hash.digest("hex").slice(0, 12)}`;
}

export function istioBinarySpecs(): Record<IstioBinaryKey, BinarySpec> {
  const helpers = Object.fromEntries(
    Object.entries(ISTIO_HELPER_PACKAGES).map(([key, goPackage]) => {
      const name = goPackage.split("/").at(-1) ?? key;
      return [
        key,
        {
          name,
          version: helperVersion(name),
          toolsModule: "istio",
          goPackage,
          versionStamps: ISTIO_VERSION_STAMPS,
        },
      ];
    }),
  ) as Record<keyof typeof ISTIO_HELPER_PACKAGES, BinarySpec>;
  return { ...ISTIO_UPSTREAM_BINARIES, ...helpers };
}

function survey(specs: Record<IstioBinaryKey, BinarySpec>, env: Env) {
  const found: Partial<IstioBinaryPaths> = {};
  const missing: BinarySpec[] = [];
  for (const [key, spec] of Object.entries(specs) as [IstioBinaryKey, BinarySpec][]) {
    const located = locateBinary(spec, env);
    if (located) found[key] = located.path;
    else missing.push(spec);
  }
  return { found, missing };
}

export async function ensureIstioBinaries(
  env: Env = process.env,
  progress: Progress = (message) => {
    console.error(message);
  },
): Promise<IstioBinaryPaths> {
  const specs = istioBinarySpecs();
  const first = survey(specs, env);
  if (first.missing.length > 0) {
    progress(`Istio binaries to build: ${first.missing.map((spec) => spec.name).join(", ")}`);
    await buildSpecs(first.missing, env, progress);
  }
  const { found, missing } = survey(specs, env);
  if (missing.length > 0) {
    throw new LocalClusterError(
      `still missing after the build: ${missing.map((spec) => spec.name).join(", ")}`,
      "run `npm run build:binaries` and read its output",
    );
  }
  return found as IstioBinaryPaths;
}
