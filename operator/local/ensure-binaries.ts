/** Locates every control-plane binary, building the missing ones first. */
import { surveyBinaries, type Env } from "./assets.ts";
import { buildBinaries, type Progress } from "./build.ts";
import { BINARIES, type BinaryKey, type BinaryPaths } from "./components.ts";
import { LocalClusterError } from "./errors.ts";

export async function ensureBinaries(env: Env, progress: Progress): Promise<BinaryPaths> {
  const first = surveyBinaries(env);
  if (first.missing.length > 0) {
    const names = first.missing.map((key) => BINARIES[key].name).join(", ");
    progress(`not found in TEST_ASSET_*, KUBEBUILDER_ASSETS or the cache: ${names}`);
    await buildBinaries(first.missing, env, progress);
  }
  const { found, missing } = surveyBinaries(env);
  if (missing.length > 0) {
    throw new LocalClusterError(
      `still missing after the build: ${missing.join(", ")}`,
      "run `npm run build:binaries` and read its output",
    );
  }
  const paths = {} as BinaryPaths;
  for (const key of Object.keys(BINARIES) as BinaryKey[]) {
    const located = found[key];
    if (located) paths[key] = located.path;
  }
  return paths;
}
