/**
 * The prune inventory: Kubernetes ApplySets (KEP-3659). The MeshConfig is the ApplySet
 * parent: it carries the id label and the list of group-kinds its members may have, and
 * every object the operator may prune carries the part-of label with that id. Pruning
 * then looks only at objects that name this ApplySet (and are owned by this MeshConfig),
 * so nothing else can ever be deleted. `kubectl` understands the same labels.
 * Namespaces and CRDs are never members: they outlive the mesh (they hold the CA and
 * every mesh's Istio configuration), so they are never pruned.
 */
import { createHash } from "node:crypto";
import { GROUP, KIND } from "../api/distribution.ts";

export const PART_OF_LABEL = "applyset.kubernetes.io/part-of";
export const ID_LABEL = "applyset.kubernetes.io/id";
export const TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling";
export const GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds";
export const TOOLING = "meshkeeper/v0.1.0";

const applySetIds = new Map<string, string>();

/** The KEP's id: base64url(sha256("<name>.<namespace>.<Kind>.<group>")), unpadded. */
export function applySetId(parentName: string): string {
  // Asked for every live object by prune on every reconcile: one hash per name is enough.
  let id = applySetIds.get(parentName);
  if (id === undefined) {
    const digest = createHash("sha256").update(`${parentName}..${KIND}.${GROUP}`).digest();
    id = `applyset-${digest.toString("base64url")}-v1`;
    applySetIds.set(parentName, id);
  }
  return id;
}

export const NEVER_MEMBERS = new Set(["Namespace", "CustomResourceDefinition"]);

export function isMember(kind: string): boolean {
  return !NEVER_MEMBERS.has(kind);
}

/** The annotation's value: sorted, comma-separated, no duplicates. */
export function groupKindsValue(groupKinds: Iterable<string>): string {
  return [...new Set(groupKinds)].sort().join(",");
}

export function parseGroupKinds(value: string | undefined): string[] {
  return value ? value.split(",").filter(Boolean) : [];
}
