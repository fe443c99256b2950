/**
 * The `waypoint` template: what istiod's Gateway API deployment controller renders for a
 * Gateway of class istio-waypoint (ambient's L7 proxy for a namespace or service), on the
 * skeleton of injection-deployed.ts (ServiceAccount, Deployment, Service, and the
 * HorizontalPodAutoscaler and PodDisruptionBudget a Gateway's parameters may fill in), all
 * owned by the Gateway.
 *
 * As in the other injection templates, the values Meshkeeper decides (log levels,
 * resources, istiod's address) are baked in; a Gateway's annotations override the ones
 * Istio lets them override.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  agentEnv,
  DEPLOYMENT_WORKLOAD_ENV,
  deployedTemplate,
  GATEWAY_ANNOTATIONS,
  GO_RUNTIME_ENV,
  networkEnv,
  NODE_NAME_ENV,
  PROBE_LINES,
  PROXY_IMAGE_LINE,
  PROXY_PORTS_LINE,
  proxyArgs,
} from "./injection-deployed.ts";
import { fieldEnv, indentLines, PROXY_METADATA_ENV, TRUST_ENV } from "./injection-go.ts";
import {
  CA_ROOT_VOLUME,
  DATA_VOLUME,
  ENVOY_VOLUME,
  PODINFO_VOLUME,
  proxyMounts,
  tokenVolume,
} from "./injection-volumes.ts";
import { flowValue } from "./yaml-scalars.ts";

/** Istio's defaults for waypoint proxies (global.waypoint.resources). */
export const WAYPOINT_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "2", memory: "1Gi" },
};

function env(mesh: EffectiveConfig): string[] {
  return [
    `- ${fieldEnv("ISTIO_META_SERVICE_ACCOUNT", "spec.serviceAccountName")}`,
    NODE_NAME_ENV,
    ...agentEnv(mesh),
    // Upstream's order: the mesh's proxy metadata right after PROXY_CONFIG, so the entries
    // the template fixes below win over a metadata key of the same name (the last wins).
    ...PROXY_METADATA_ENV,
    ...GO_RUNTIME_ENV,
    "- { name: ISTIO_META_CLUSTER_ID, value: Kubernetes }",
    ...networkEnv("ISTIO_META_NETWORK"),
    "- { name: ISTIO_META_INTERCEPTION_MODE, value: REDIRECT }",
    ...DEPLOYMENT_WORKLOAD_ENV,
    ...TRUST_ENV,
  ];
}

const VOLUMES = [
  { name: "workload-socket", emptyDir: {} },
  ENVOY_VOLUME,
  { name: "go-proxy-envoy", emptyDir: { medium: "Memory" } },
  DATA_VOLUME,
  { name: "go-proxy-data", emptyDir: {} },
  PODINFO_VOLUME,
  tokenVolume({ audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" }),
  CA_ROOT_VOLUME,
];

function container(mesh: EffectiveConfig): string[] {
  const serviceCluster = '{{ printf "%s.$(POD_NAMESPACE)" .ServiceAccount | printf "%q" }}';
  return [
    "- name: istio-proxy",
    PROXY_IMAGE_LINE,
    PROXY_PORTS_LINE,
    `  args: ${proxyArgs(mesh, "waypoint", ["--serviceCluster", serviceCluster])}`,
    "  env:",
    ...indentLines(env(mesh), "  "),
    `  resources: ${flowValue(WAYPOINT_RESOURCES)}`,
    ...PROBE_LINES,
    `  securityContext: ${flowValue({
      privileged: false,
      runAsGroup: 1337,
      runAsUser: 1337,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    })}`,
    "  volumeMounts:",
    ...indentLines(proxyMounts({ sockets: "workload" }), "  "),
  ];
}

export function waypointTemplate(mesh: EffectiveConfig): string {
  return deployedTemplate(mesh, {
    serviceAccountOwner: "always",
    deployment: {
      managedBy: ".ControllerLabel",
      // The waypoint is a proxy itself: never injected, never captured by ztunnel.
      podLabels: '"istio.io/dataplane-mode" "none"',
      selector: "block",
      container: container(mesh),
      volumes: VOLUMES,
    },
    service: {
      annotations: `(strdict "networking.istio.io/traffic-distribution" "PreferClose") ${GATEWAY_ANNOTATIONS}`,
      protocol: "TCP",
    },
  });
}
