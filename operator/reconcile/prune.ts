/**
 * prune (pure): which live objects to delete. An object is ours to delete only when it
 * names our ApplySet (part-of label) AND its controller owner reference is this very
 * MeshConfig (uid). Look-alikes with the same labels but another owner, or with no
 * ApplySet label, are never touched.
 */
import type { KubeObject } from "../kube/object.ts";
import { applySetId, isMember, PART_OF_LABEL } from "./apply-set.ts";
import { identity } from "./identity.ts";

interface OwnerReference {
  uid?: string;
  controller?: boolean;
}

export function isOurMember(object: KubeObject, parent: { name: string; uid: string }): boolean {
  const labels = object.metadata.labels ?? {};
  const owners = (object.metadata.ownerReferences ?? []) as OwnerReference[];
  return (
    labels[PART_OF_LABEL] === applySetId(parent.name) &&
    owners.some((o) => o.controller === true && o.uid === parent.uid)
  );
}

export function staleObjects(
  live: readonly KubeObject[],
  desired: readonly KubeObject[],
  parent: { name: string; uid: string },
): KubeObject[] {
  const wanted = new Set(desired.map((o) => identity(o)));
  return live.filter(
    (o) => isOurMember(o, parent) && !wanted.has(identity(o)) && !o.metadata.deletionTimestamp,
  );
}

/** The desired object as an ApplySet member: labelled with the ApplySet's id. */
export function asMember(object: KubeObject, parentName: string): KubeObject {
  if (!isMember(object.kind)) return object;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [PART_OF_LABEL]: applySetId(parentName) },
    },
  };
}
