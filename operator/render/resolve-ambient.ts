/**
 * The ambient data plane's facts, decided once (pure): names, images, labels, addresses and
 * resources of the ztunnel and istio-cni DaemonSets, from the spec and the control plane's
 * names. Both are node agents: one pod per node, shared by every workload on it, so their
 * names are fixed (Istio's own: istiod trusts `<namespace>/ztunnel` as a node account, and
 * the CNI plugin looks for `istio-cni-node` pods by name).
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { ambientEnabled } from "../api/data-plane.ts";
import { ISTIO_IMAGES } from "./istio-versions.ts";

/** Istio's chart defaults (ztunnel values.yaml, istio-cni values.yaml). */
export const ZTUNNEL_RESOURCES = { requests: { cpu: "200m", memory: "512Mi" } } as const;
export const CNI_RESOURCES = { requests: { cpu: "100m", memory: "100Mi" } } as const;

/** Node agents run on every node, tainted or not (Istio's tolerations for both). */
export const NODE_AGENT_TOLERATIONS = [
  { effect: "NoSchedule", operator: "Exists" },
  { key: "CriticalAddonsOnly", operator: "Exists" },
  { effect: "NoExecute", operator: "Exists" },
] as const;

/** The label a namespace (or pod) carries to join the ambient mesh, and its values. */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";

export interface ResolvedAmbient {
  readonly ztunnel: {
    readonly name: string;
    readonly image: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly labels: Readonly<Record<string, string>>;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly resources: unknown;
    /** istiod's CA and xDS, both on its secure port. */
    readonly istiodAddress: string;
    /** meshConfig.defaultConfig.proxyMetadata, which Istio's chart passes to ztunnel as env. */
    readonly proxyMetadata: readonly { readonly name: string; readonly value: string }[];
  };
  readonly cni: {
    readonly name: string;
    readonly daemonSet: string;
    readonly configMap: string;
    readonly image: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly labels: Readonly<Record<string, string>>;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly resources: unknown;
  };
}

function proxyMetadataOf(meshConfig: Record<string, unknown>) {
  const defaultConfig = meshConfig.defaultConfig as Record<string, unknown> | undefined;
  const metadata = (defaultConfig?.proxyMetadata ?? {}) as Record<string, unknown>;
  return Object.entries(metadata).map(([name, value]) => ({ name, value: String(value) }));
}

/** null when the mode runs no ambient data plane. */
export function resolveAmbient(
  spec: MeshConfigSpec,
  revisionLabel: string,
  istiodAddress: string,
  meshConfig: Record<string, unknown>,
): ResolvedAmbient | null {
  if (!ambientEnabled(spec.dataPlane.mode)) return null;
  const image = (name: string) => `${spec.hub}/${name}:${spec.version}`;
  // Node agents are never captured themselves: no sidecar, no ambient redirection.
  const notMeshed = { "sidecar.istio.io/inject": "false", [DATAPLANE_MODE_LABEL]: "none" };
  return {
    ztunnel: {
      name: "ztunnel",
      image: image(ISTIO_IMAGES.ztunnel),
      selector: { app: "ztunnel" },
      labels: {
        app: "ztunnel",
        "app.kubernetes.io/name": "ztunnel",
        "istio.io/rev": revisionLabel,
      },
      podLabels: { ...notMeshed, app: "ztunnel", "app.kubernetes.io/name": "ztunnel" },
      resources: ZTUNNEL_RESOURCES,
      istiodAddress,
      proxyMetadata: proxyMetadataOf(meshConfig),
    },
    cni: {
      name: "istio-cni",
      daemonSet: "istio-cni-node",
      configMap: "istio-cni-config",
      image: image(ISTIO_IMAGES.cni),
      selector: { "k8s-app": "istio-cni-node" },
      labels: {
        app: "istio-cni",
        "app.kubernetes.io/name": "istio-cni",
        "istio.io/rev": revisionLabel,
      },
      podLabels: {
        ...notMeshed,
        "k8s-app": "istio-cni-node",
        "app.kubernetes.io/name": "istio-cni",
      },
      resources: CNI_RESOURCES,
    },
  };
}
