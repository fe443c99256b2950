/**
 * Run-time validation of a MeshConfig as the reconciler reads it. The API server already
 * enforced the CRD schema; this parse applies the same rules from the same zod source and
 * yields the typed, defaulted spec, or every problem with its field path, ready to report
 * as Stalled/InvalidSpec.
 */
import type { z } from "zod";
import { SINGLETON_NAME } from "./crd.ts";
import { meshConfigSpec, type MeshConfigSpec } from "./mesh-config-spec.ts";

export interface FieldProblem {
  /** Field path as the API server writes it, e.g. spec.gateways[0].name. */
  readonly path: string;
  readonly message: string;
}

export type Validation =
  | { readonly ok: true; readonly spec: MeshConfigSpec }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

export function fieldPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === "number") return `${path}[${segment}]`;
    return path ? `${path}.${String(segment)}` : String(segment);
  }, "");
}

function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[]): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: fieldPath([...prefix, ...issue.path]),
    message: issue.message,
  }));
}

/**
 * Paths of every own `__proto__` key. zod's records skip such a key (JavaScript's
 * prototype setter) instead of checking it, so the parse would silently lose it; no
 * field of the spec, Istio's mesh config or a Kubernetes shape has that name.
 */
function prototypeKeys(value: unknown, path: readonly PropertyKey[]): PropertyKey[][] {
  if (value === null || typeof value !== "object") return [];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value as Record<string, unknown>);
  const own = !Array.isArray(value) && Object.hasOwn(value, "__proto__") ? [[...path]] : [];
  return [...own, ...entries.flatMap(([key, item]) => prototypeKeys(item, [...path, key]))];
}

export function validateSpec(spec: unknown): Validation {
  const prototypes = prototypeKeys(spec, ["spec"]);
  if (prototypes.length > 0)
    return {
      ok: false,
      problems: prototypes.map((path) => ({
        path: fieldPath(path),
        message: "the key __proto__ is not allowed",
      })),
    };
  const result = meshConfigSpec.safeParse(spec);
  return result.success
    ? { ok: true, spec: result.data }
    : { ok: false, problems: problemsOf(result.error, ["spec"]) };
}

/** Validates a whole MeshConfig object: the singleton name, then the spec. */
export function validateMeshConfig(object: {
  metadata?: { name?: string };
  spec?: unknown;
}): Validation {
  const name = object.metadata?.name;
  if (name !== SINGLETON_NAME) {
    return {
      ok: false,
      problems: [
        {
          path: "metadata.name",
          message: `MeshConfig is a singleton: metadata.name must be '${SINGLETON_NAME}'`,
        },
      ],
    };
  }
  if (object.spec === undefined)
    return { ok: false, problems: [{ path: "spec", message: "spec is required" }] };
  return validateSpec(object.spec);
}

/** One line per problem, for status messages and logs. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}
