/**
 * Reads config/ the way a user installs it: `kubectl kustomize DIR`, parsed into objects.
 * The bundle generator takes the operator's Deployment and RBAC from here, so the OLM
 * bundle and the kustomize install can never disagree; the tests apply the same output.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { locateBinary } from "../local/assets.ts";
import { BINARIES } from "../local/components.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export class KustomizeError extends Error {
  override name = "KustomizeError";
}

/** kubectl from the local control plane's cache (or $TEST_ASSET_KUBECTL), else from PATH. */
export function kubectlPath(): string {
  return locateBinary(BINARIES.kubectl)?.path ?? "kubectl";
}

/** `kubectl kustomize DIR` (relative to the repository root) as YAML text. */
export async function kustomizeText(dir: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(kubectlPath(), ["kustomize", dir], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    if (code === "ENOENT")
      throw new KustomizeError(
        "kubectl not found\n→ run `npm run build:binaries` (it builds kubectl), or put kubectl on PATH",
      );
    throw new KustomizeError(`kubectl kustomize ${dir} failed: ${(stderr ?? String(error)).trim()}`);
  }
}

export function parseManifests(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as ManifestObject | null)
    .filter((object): object is ManifestObject => object !== null);
}

export async function kustomize(dir: string): Promise<ManifestObject[]> {
  return parseManifests(await kustomizeText(dir));
}

export function findObject(
  objects: readonly ManifestObject[],
  kind: string,
  name?: string,
): ManifestObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new KustomizeError(`config/ renders no ${kind}${name ? ` named ${name}` : ""}`);
  return found;
}
