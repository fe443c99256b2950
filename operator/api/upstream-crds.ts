/**
 * Istio's own CRD files, read from Istio's Go modules as the Go module proxy serves them
 * (`go mod download`, so a warm module cache answers offline). Nothing of Istio's is kept
 * in this repository: the generator reads the schemas our npm models lack from here, and
 * the version checks compare our CRD sets with these files.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export type CrdDocument = {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string; readonly plural: string };
    readonly versions: readonly {
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly schema?: { readonly openAPIV3Schema?: Record<string, unknown> };
    }[];
  };
};

/** Where each module keeps the CRDs it ships. */
export const CRD_FILES = {
  "istio.io/api": "kubernetes/customresourcedefinitions.gen.yaml",
  "istio.io/istio": "manifests/charts/base/files/crd-all.gen.yaml",
} as const;
export type IstioModule = keyof typeof CRD_FILES;

export class UpstreamModuleError extends Error {
  constructor(module: string, version: string, detail: string) {
    super(
      `could not read ${module}@${version} from the Go module proxy: ${detail.trim()}\n` +
        "  hint: Go 1.26 must be on PATH and the module proxy reachable once (later runs use the module cache)",
    );
    this.name = "UpstreamModuleError";
  }
}

/** The module's folder in the module cache, downloading it first when missing. */
export function moduleDir(module: string, version: string): string {
  let output: string;
  try {
    output = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
      // Outside any module, so no go.mod or go.sum of ours is touched.
      cwd: tmpdir(),
      env: { ...process.env, GOTOOLCHAIN: "local", GOWORK: "off", GOFLAGS: "-mod=mod" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 4 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failed.code === "ENOENT")
      throw new UpstreamModuleError(module, version, "go is not on PATH");
    // go mod download -json reports a module's own error as JSON on stdout.
    const reported = safeJson(failed.stdout ?? "")?.Error;
    throw new UpstreamModuleError(module, version, reported ?? failed.stderr ?? failed.message);
  }
  const answer = safeJson(output);
  if (!answer?.Dir) throw new UpstreamModuleError(module, version, answer?.Error ?? output);
  return answer.Dir;
}

function safeJson(text: string): { Dir?: string; Error?: string } | undefined {
  try {
    return JSON.parse(text) as { Dir?: string; Error?: string };
  } catch {
    return undefined;
  }
}

/** Every CRD in the module's CRD file, in file order. */
export function upstreamCrds(module: IstioModule, version: string): CrdDocument[] {
  const file = join(moduleDir(module, version), CRD_FILES[module]);
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((document) => document.toJS() as Partial<CrdDocument> | null)
    .filter((crd): crd is CrdDocument => crd?.metadata?.name !== undefined);
}
