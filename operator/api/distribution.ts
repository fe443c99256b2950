/**
 * The distribution's names, in one place: the API group and version the MeshConfig is
 * served under, its kind and resource names, and the keys the operator puts on objects.
 * Everything else (the CRD generator, the reconciler, the CLI, the OLM bundle, the Argo CD
 * health check's key) derives its strings from these.
 */
export const GROUP = "meshkeeper.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "MeshConfig";
export const PLURAL = "meshconfigs";
/** The one MeshConfig the operator acts on. */
export const SINGLETON_NAME = "default";

/** The REST path of a MeshConfig (cluster-scoped). */
export function meshConfigPath(name: string = SINGLETON_NAME): string {
  return `/apis/${API_VERSION}/${PLURAL}/${name}`;
}

/** A key under the distribution's own prefix: meshkeeper.dev/<name>. */
const key = <N extends string>(name: N) => `${GROUP}/${name}` as const;

/** Set to "true" on the MeshConfig to stop the operator changing anything. */
export const PAUSED_ANNOTATION = key("paused");
/** The finalizer that holds the MeshConfig until the mesh is torn down. */
export const FINALIZER = key("teardown");
/** On istiod's pod template: the CA bundle's hash, so istiod rolls onto a new CA. */
export const CA_HASH_ANNOTATION = key("ca-bundle-hash");
/** On a CRD the API server forgot to establish: the last time the operator touched it. */
export const NUDGE_ANNOTATION = key("establish-nudged-at");
/** On a restarted workload's pod template: the <revision>/<version> it was restarted for. */
export const RESTARTED_FOR_ANNOTATION = key("restarted-for");
/** Which mesh an object belongs to. */
export const MESH_LABEL = key("mesh");
/** Events' reportingController. */
export const REPORTING_CONTROLLER = key("operator");
