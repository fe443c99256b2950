/**
 * validate + render (pure): the objects a MeshConfig asks for, or why it cannot be
 * applied (InvalidSpec, UnsupportedVersion), both terminal until the spec changes.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { describeProblems, validateMeshConfig } from "../api/validate.ts";
import { UnsupportedVersionError } from "../render/istio-versions.ts";
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

/** validate + render (pure): the objects, or why the spec cannot be applied. */
export function desiredFromSpec(mc: MeshConfigObject): Desired {
  const validation = validateMeshConfig(mc);
  if (!validation.ok) {
    const problems = describeProblems(validation.problems);
    return {
      kind: "refused",
      reason: "InvalidSpec",
      message: `the spec is invalid and nothing was changed: ${problems}`,
    };
  }
  try {
    const objects = render(validation.spec, { name: mc.metadata.name, uid: mc.metadata.uid });
    return { kind: "rendered", objects, version: validation.spec.version, spec: validation.spec };
  } catch (error) {
    if (error instanceof UnsupportedVersionError)
      return { kind: "refused", reason: "UnsupportedVersion", message: error.message };
    throw error;
  }
}
