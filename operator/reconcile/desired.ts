/**
 * validate + render (pure): the objects a MeshConfig asks for, or why it cannot be
 * applied (InvalidSpec, UnsupportedVersion), both terminal until the spec changes.
 */
import type { RefusedReason } from "../api/conditions.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { describeProblems, validateMeshConfig, type FieldProblem } from "../api/validate.ts";
import { UnsupportedVersionError } from "../render/istio-versions.ts";
import { checkRenderedObjects } from "../render/identity-check.ts";
import type { RenderedObject } from "../render/render.ts";
import { renderMesh, type RevisionSet } from "../render/revisions.ts";
import type { MeshConfigObject } from "./mesh-config-object.ts";

export type Desired =
  | {
      readonly kind: "rendered";
      readonly objects: RenderedObject[];
      readonly version: string;
      readonly spec: MeshConfigSpec;
    }
  | {
      readonly kind: "refused";
      readonly reason: RefusedReason;
      readonly message: string;
    };

function invalidSpec(problems: readonly FieldProblem[]): Refused {
  return {
    kind: "refused",
    reason: "InvalidSpec",
    message: `the spec is invalid and nothing was changed: ${describeProblems(problems)}`,
  };
}

type Refused = Extract<Desired, { kind: "refused" }>;

export type Validated = { readonly kind: "valid"; readonly spec: MeshConfigSpec } | Refused;

/** validate (pure): the defaulted spec, or why it is refused. */
export function validatedSpec(mc: MeshConfigObject): Validated {
  const validation = validateMeshConfig(mc);
  return validation.ok
    ? { kind: "valid", spec: validation.spec }
    : invalidSpec(validation.problems);
}

/** validate + render (pure): the objects, or why the spec cannot be applied. */
export function desiredFromSpec(mc: MeshConfigObject, revisions?: RevisionSet): Desired {
  const validated = validatedSpec(mc);
  return validated.kind === "valid" ? desiredFor(mc, validated.spec, revisions) : validated;
}

/** render a valid spec (pure): with the revisions the reconciler decided, if any (revisions.ts). */
export function desiredFor(
  mc: MeshConfigObject,
  spec: MeshConfigSpec,
  revisions?: RevisionSet,
): Desired {
  try {
    const objects = renderMesh(spec, revisions, { name: mc.metadata.name, uid: mc.metadata.uid });
    // What only the rendered objects show (collisions, cluster-wide node ports), before any write.
    const problems = checkRenderedObjects(spec, objects);
    if (problems.length > 0) return invalidSpec(problems);
    return { kind: "rendered", objects, version: spec.version, spec };
  } catch (error) {
    if (error instanceof UnsupportedVersionError)
      return { kind: "refused", reason: "UnsupportedVersion", message: error.message };
    throw error;
  }
}
