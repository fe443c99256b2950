/**
 * validate + render (pure): the objects a MeshConfig asks for, or why it cannot be
 * applied (InvalidSpec, UnsupportedVersion), both terminal until the spec changes.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { describeProblems, validateMeshConfig, type FieldProblem } from "../api/validate.ts";
import { UnsupportedVersionError } from "../render/istio-versions.ts";
import { checkRenderedObjects } from "../render/identity-check.ts";
import { render, type RenderedObject } from "../render/render.ts";
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
      readonly reason: "InvalidSpec" | "UnsupportedVersion";
      readonly message: string;
    };

function invalidSpec(problems: readonly FieldProblem[]): Desired {
  return {
    kind: "refused",
    reason: "InvalidSpec",
    message: `the spec is invalid and nothing was changed: ${describeProblems(problems)}`,
  };
}

/** validate + render (pure): the objects, or why the spec cannot be applied. */
export function desiredFromSpec(mc: MeshConfigObject): Desired {
  const validation = validateMeshConfig(mc);
  if (!validation.ok) return invalidSpec(validation.problems);
  try {
    const objects = render(validation.spec, { name: mc.metadata.name, uid: mc.metadata.uid });
    // What only the rendered objects show (collisions, cluster-wide node ports), before any write.
    const problems = checkRenderedObjects(validation.spec, objects);
    if (problems.length > 0) return invalidSpec(problems);
    return { kind: "rendered", objects, version: validation.spec.version, spec: validation.spec };
  } catch (error) {
    if (error instanceof UnsupportedVersionError)
      return { kind: "refused", reason: "UnsupportedVersion", message: error.message };
    throw error;
  }
}
