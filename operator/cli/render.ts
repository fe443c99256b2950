/**
 * `meshkeeper render -f meshconfig.yaml [-o yaml|json] [--output-dir DIR]`: the objects
 * the operator would apply, offline. Prints multi-document YAML (or a JSON List), or
 * writes one file per object into DIR. A bad file gets one clear error per problem, with
 * the field path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument, stringify } from "yaml";
import { validateMeshConfig } from "../api/validate.ts";
import { UnsupportedVersionError } from "../render/istio-versions.ts";
import type { RenderedObject } from "../render/render.ts";
import { renderMesh } from "../render/revisions.ts";
import { RENDER_OPTIONS, RENDER_USAGE } from "./usage.ts";
import { outputFormat, parseOptions, UsageError } from "./args.ts";
import { formatObjects } from "./output.ts";

export class RenderInputError extends Error {
  override name = "RenderInputError";
}

function readMeshConfig(file: string): unknown {
  if (!existsSync(file)) throw new RenderInputError(`${file}: no such file`);
  const doc = parseDocument(readFileSync(file, "utf8"));
  const [first] = doc.errors;
  if (first) throw new RenderInputError(`${file}: not valid YAML: ${first.message}`);
  return doc.toJS();
}

export function renderFile(file: string): RenderedObject[] {
  type Document = { kind?: unknown; metadata?: { name?: string }; spec?: unknown } | null;
  const object = readMeshConfig(file) as Document;
  // An empty file parses to null.
  if (object === null || object.kind !== "MeshConfig") {
    throw new RenderInputError(`${file}: kind must be MeshConfig`);
  }
  const validation = validateMeshConfig(object);
  if (!validation.ok) {
    throw new RenderInputError(
      validation.problems.map((p) => `${file}: ${p.path}: ${p.message}`).join("\n"),
    );
  }
  try {
    return renderMesh(validation.spec);
  } catch (error) {
    if (!(error instanceof UnsupportedVersionError)) throw error;
    throw new RenderInputError(`${file}: spec.version: ${error.message}`, { cause: error });
  }
}

/**
 * YAML that kubectl reads back as written: kubectl's parser keeps YAML 1.1's booleans, so
 * a string such as `n`, `y`, `on` or `no` (a target port name, say) must be quoted or the
 * API server receives a bool (found by the rendered-objects dry-run property test).
 */
export function toYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0, compat: "yaml-1.1" });
}

const RENDERED_FILE = /^\d{3}-[a-z]+-[a-z]+-.*\.yaml$/;

/** A file name that sorts in apply order and says what is inside. */
export function fileNameOf(index: number, { component, object }: RenderedObject): string {
  const where = object.metadata.namespace ? `${object.metadata.namespace}-` : "";
  return `${String(index).padStart(3, "0")}-${component}-${object.kind.toLowerCase()}-${where}${object.metadata.name}.yaml`;
}

export function renderCommand(argv: readonly string[]): number {
  const values = parseOptions(argv, RENDER_OPTIONS, RENDER_USAGE);
  if (values === undefined) return 0;
  if (values.file === undefined) throw new UsageError("-f FILE is required", RENDER_USAGE);
  const format = outputFormat(values.output, ["yaml", "json"], RENDER_USAGE);
  const dir = values["output-dir"];
  if (dir !== undefined && values.output !== undefined) {
    throw new UsageError("-o and --output-dir do not go together", RENDER_USAGE);
  }
  const objects = renderFile(values.file);
  if (dir === undefined) {
    process.stdout.write(
      formatObjects(
        objects.map((o) => o.object),
        format,
      ),
    );
    return 0;
  }
  mkdirSync(dir, { recursive: true });
  // Files of an earlier render would otherwise stay and be applied with the new ones.
  for (const old of readdirSync(dir).filter((f) => RENDERED_FILE.test(f))) {
    rmSync(join(dir, old));
  }
  objects.forEach((o, index) => {
    writeFileSync(join(dir, fileNameOf(index, o)), toYaml(o.object));
  });
  console.error(`wrote ${objects.length} objects into ${dir}`);
  return 0;
}
