/**
 * What the operator writes on the MeshConfig itself, besides /status: the teardown
 * finalizer and the ApplySet parent metadata (apply-set.ts). Applied with our field
 * manager, so the user's own metadata and the spec are never touched; written only when
 * something is missing or different.
 */
import { API_VERSION_STRING, type MeshConfigObject } from "./mesh-config-object.ts";
import {
  applySetId,
  GROUP_KINDS_ANNOTATION,
  ID_LABEL,
  TOOLING,
  TOOLING_ANNOTATION,
} from "./apply-set.ts";
import { FINALIZER } from "../api/distribution.ts";
import type { KubeObject } from "../kube/object.ts";

export { FINALIZER } from "../api/distribution.ts";

/** Our metadata on the parent, for the given group-kinds annotation value. */
export function parentMetadata(name: string, groupKinds: string): KubeObject {
  return {
    apiVersion: API_VERSION_STRING,
    kind: "MeshConfig",
    metadata: {
      name,
      labels: { [ID_LABEL]: applySetId(name) },
      annotations: { [TOOLING_ANNOTATION]: TOOLING, [GROUP_KINDS_ANNOTATION]: groupKinds },
      finalizers: [FINALIZER],
    },
  };
}

/** The parent with none of our metadata: applying it releases the finalizer. */
export function releasedParent(name: string): KubeObject {
  return { apiVersion: API_VERSION_STRING, kind: "MeshConfig", metadata: { name } };
}

export function parentUpToDate(live: MeshConfigObject, groupKinds: string): boolean {
  const { labels = {}, annotations = {}, finalizers = [] } = live.metadata;
  return (
    labels[ID_LABEL] === applySetId(live.metadata.name) &&
    annotations[TOOLING_ANNOTATION] === TOOLING &&
    annotations[GROUP_KINDS_ANNOTATION] === groupKinds &&
    finalizers.includes(FINALIZER)
  );
}
