/**
 * The real-Istio tier's setup: Istio's binaries (built once from tools/istio, then cached)
 * and one local control plane for the tier's files, handed to the tests like the
 * integration tier's (same `cluster` coordinates) plus the binaries' paths.
 */
import type { TestProject } from "vitest/node";
import { ensureIstioBinaries, type IstioBinaryPaths } from "../../operator/local/istio-binaries.ts";
import startControlPlane from "../integration/global-setup.ts";

declare module "vitest" {
  export interface ProvidedContext {
    istio: IstioBinaryPaths;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const binaries = await ensureIstioBinaries(process.env, (line) => {
    console.error(`[istio] ${line}`);
  });
  console.error(`[istio] binaries ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  project.provide("istio", binaries);
  return startControlPlane(project);
}
