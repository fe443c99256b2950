/**
 * The one post-render step (pure): what the reconciler does to the rendered objects before
 * anything is applied. The renderer has already marked each object as ours (managed-by,
 * component and mesh labels, the owner reference: render.ts); here the objects become
 * this MeshConfig's ApplySet members (the part-of label prune relies on), and Istio's CRDs
 * are left out when someone else installs them (OLM, --istio-crds=external).
 * The result is new objects: the renderer's output, remembered per generation, is never
 * changed in place.
 */
import type { KubeObject } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import { groupKindsValue, isMember } from "./apply-set.ts";
import { groupKind } from "./identity.ts";
import { asMember } from "./prune.ts";
import { rememberedBy } from "./remember.ts";

export type IstioCrds = "managed" | "external";

export interface PostRendered {
  /** Every object to apply, in render order. */
  readonly objects: readonly RenderedObject[];
  /** The ApplySet members among them: what prune keeps. */
  readonly members: readonly KubeObject[];
}

export function postRender(
  rendered: readonly RenderedObject[],
  parentName: string,
  istioCrds: IstioCrds,
): PostRendered {
  return postRendered(rendered, `${parentName}/${istioCrds}`);
}

// Remembered per rendered list: the same render (remembered per generation) yields the same
// objects, so the applier's per-object hashes are remembered too (remember.ts).
const postRendered = rememberedBy(
  (rendered: readonly RenderedObject[], key: string): PostRendered => {
    const [parentName = "", istioCrds] = key.split("/");
    return members(rendered, parentName, istioCrds as IstioCrds);
  },
);

function members(
  rendered: readonly RenderedObject[],
  parentName: string,
  istioCrds: IstioCrds,
): PostRendered {
  const objects = rendered
    .filter((r) => !(istioCrds === "external" && r.object.kind === "CustomResourceDefinition"))
    .map((r) => ({ ...r, object: asMember(r.object, parentName) }));
  const members = objects.filter((r) => isMember(r.object.kind)).map((r) => r.object);
  return { objects, members };
}

/** The ApplySet's group-kinds annotation value for these members (plus `also`). */
export function memberGroupKinds(
  members: readonly KubeObject[],
  also: readonly string[] = [],
): string {
  return groupKindsValue([...also, ...members.map((o) => groupKind(o.apiVersion, o.kind))]);
}
