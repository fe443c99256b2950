/** The MeshConfig as the reconciler reads it from the API server (spec not yet validated). */
import { API_VERSION, KIND } from "../api/distribution.ts";
import type { MeshConfigStatus } from "../api/mesh-config-status.ts";
import type { KubeObject, ObjectMeta } from "../kube/object.ts";

export const API_VERSION_STRING = API_VERSION;

export interface MeshConfigObject extends KubeObject {
  metadata: ObjectMeta & { uid: string };
  spec?: unknown;
  status?: Partial<MeshConfigStatus>;
}

export const MESH_CONFIG_KIND = { apiVersion: API_VERSION, kind: KIND } as const;

export function meshConfigRef(name: string) {
  return { ...MESH_CONFIG_KIND, metadata: { name } };
}
