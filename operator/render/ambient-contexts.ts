/**
 * The values the ztunnel and istio-cni templates see (see contexts.ts for the other
 * components). Only called when the mode runs ambient (mesh.ambient is set).
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  DATAPLANE_MODE_LABEL,
  NODE_AGENT_TOLERATIONS,
  type ResolvedAmbient,
} from "./resolve-ambient.ts";
import { yamlText } from "./yaml-text.ts";

function ambientOf(mesh: EffectiveConfig): ResolvedAmbient {
  if (!mesh.ambient) throw new Error("ambient templates rendered without an ambient data plane");
  return mesh.ambient;
}

export function ztunnelContext(mesh: EffectiveConfig) {
  return { mesh, ztunnel: ambientOf(mesh).ztunnel, tolerations: NODE_AGENT_TOLERATIONS };
}

/**
 * Which pods the agent redirects to ztunnel, Istio's default: a pod labelled ambient, or
 * any pod not labelled `none` in a namespace labelled ambient.
 */
const ENABLEMENT_SELECTORS = [
  { podSelector: { matchLabels: { [DATAPLANE_MODE_LABEL]: "ambient" } } },
  {
    namespaceSelector: { matchLabels: { [DATAPLANE_MODE_LABEL]: "ambient" } },
    podSelector: {
      matchExpressions: [{ key: DATAPLANE_MODE_LABEL, operator: "NotIn", values: ["none"] }],
    },
  },
];

function cniConfig(mesh: EffectiveConfig): Record<string, string> {
  return {
    CURRENT_AGENT_VERSION: mesh.version,
    AMBIENT_ENABLED: "true",
    AMBIENT_ENABLEMENT_SELECTOR: yamlText(ENABLEMENT_SELECTORS, { indentSeq: false }).trimEnd(),
    AMBIENT_DNS_CAPTURE: "true",
    AMBIENT_IPV6: "true",
    // Pods that ran before an agent upgrade get their rules checked and repaired.
    AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: "true",
    CHAINED_CNI_PLUGIN: "true",
    ENABLE_AMBIENT_DETECTION_RETRY: "false",
    ISTIO_OWNED_CNI_CONFIG: "false",
    NATIVE_NFTABLES: "false",
    EXCLUDE_NAMESPACES: "kube-system",
    REPAIR_ENABLED: "true",
    REPAIR_LABEL_PODS: "false",
    REPAIR_DELETE_PODS: "false",
    REPAIR_REPAIR_PODS: "true",
    REPAIR_INIT_CONTAINER_NAME: "istio-validation",
    REPAIR_BROKEN_POD_LABEL_KEY: "cni.istio.io/uninitialized",
    REPAIR_BROKEN_POD_LABEL_VALUE: "true",
  };
}

export function cniContext(mesh: EffectiveConfig) {
  const cni = ambientOf(mesh).cni;
  return {
    mesh,
    cni,
    cniDaemonSetLabels: { ...cni.labels, "k8s-app": cni.daemonSet },
    cniConfig: cniConfig(mesh),
    cniArgs: [`--log_output_level=default:${mesh.spec.controlPlane.logLevel}`],
    tolerations: NODE_AGENT_TOLERATIONS,
    bindings: [
      { name: cni.name, role: cni.name },
      { name: "istio-cni-repair-rolebinding", role: "istio-cni-repair-role" },
      { name: "istio-cni-ambient", role: "istio-cni-ambient" },
    ],
  };
}
