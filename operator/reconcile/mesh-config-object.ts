/** The MeshConfig as the reconciler reads it from the API server (spec not yet validated). */
import { GROUP, KIND, VERSION } from "../api/crd.ts";
import type { MeshConfigStatus } from "../api/mesh-config-status.ts";

export const API_VERSION_STRING = `${GROUP}/${VERSION}`;

export interface MeshConfigObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [field: string]: unknown;
  };
  spec?: unknown;
  status?: Partial<MeshConfigStatus>;
}

export const MESH_CONFIG_KIND = { apiVersion: API_VERSION_STRING, kind: KIND } as const;

export function meshConfigRef(name: string) {
  return { ...MESH_CONFIG_KIND, metadata: { name } };
}
