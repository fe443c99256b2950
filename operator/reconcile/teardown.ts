/**
 * Delete: a MeshConfig being deleted is taken down in order (policies, gateways, webhooks,
 * istiod; phases.ts TEARDOWN_ORDER), one step per reconcile, each step started once the
 * previous one's objects are gone. The finalizer is released when nothing is left, or when
 * the deadline passes (an object stuck on someone else's finalizer must not hold the mesh's
 * deletion forever); until then status says what it is blocked on.
 * Kept: namespaces and CRDs (never ApplySet members) and the CA secret (not owned).
 */
import type { KubeObject } from "../kube/object.ts";
import { COMPONENT_LABEL, COMPONENTS, type Component } from "../render/render.ts";
import type { KubernetesObject } from "../render/template-engine.ts";
import { describe } from "./identity.ts";
import { phaseOf, TEARDOWN_ORDER } from "./phases.ts";
import { isOurMember } from "./prune.ts";

export type TeardownStep =
  | { readonly kind: "done" }
  | {
      readonly kind: "delete";
      readonly objects: readonly KubeObject[];
      readonly blockedOn: string;
    };

function phaseOfLive(object: KubeObject): number {
  const label = (object.metadata.labels as Record<string, string> | undefined)?.[COMPONENT_LABEL];
  const component = (COMPONENTS as readonly string[]).includes(label ?? "")
    ? (label as Component)
    : "istiod";
  return phaseOf({ component, object: object as KubernetesObject });
}

/** The next teardown step (pure): the objects of the first step that still has some. */
export function nextTeardownStep(
  live: readonly KubeObject[],
  parent: { name: string; uid: string },
): TeardownStep {
  const ours = live.filter((o) => isOurMember(o, parent));
  for (const phases of TEARDOWN_ORDER) {
    const step = ours.filter((o) => phases.includes(phaseOfLive(o)));
    if (step.length === 0) continue;
    const names = step.slice(0, 3).map((o) => describe(o as KubernetesObject));
    const more = step.length > 3 ? ` and ${step.length - 3} more` : "";
    return {
      kind: "delete",
      objects: step.filter((o) => !o.metadata.deletionTimestamp),
      blockedOn: `waiting for ${names.join(", ")}${more} to be deleted`,
    };
  }
  return { kind: "done" };
}
