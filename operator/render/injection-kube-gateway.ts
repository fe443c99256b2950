/**
 * The `kube-gateway` template: what istiod's Gateway API deployment controller renders for
 * every Gateway of class `istio` (an ingress or egress gateway declared with the Gateway
 * API), on the skeleton of injection-deployed.ts: a ServiceAccount, a Deployment of the
 * proxy as a router, a Service with one port per listener, and an autoscaler and a
 * disruption budget, which istiod keeps only when a GatewayClass or parametersRef
 * ConfigMap gives them settings (its "required overlays"). istiod also passes .KubeVersion,
 * .ControllerLabel, .ClusterID and .ProxyUID/.ProxyGID.
 *
 * The pod is not injected (sidecar.istio.io/inject=false): the template itself carries the
 * whole proxy. As in the other injection templates, what Meshkeeper decides (log levels,
 * proxy resources, istiod's address) is baked in, and the Gateway's annotations override
 * what Istio lets them override. Checked against Istio's own kube-gateway template by the
 * real-Istio tier (test/istio/gateway-api.test.ts: both istiods deploy the same Gateway).
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  agentEnv,
  DEPLOYMENT_WORKLOAD_ENV,
  deployedTemplate,
  GO_RUNTIME_ENV,
  networkEnv,
  NODE_NAME_ENV,
  PROBE_LINES,
  PROXY_IMAGE_LINE,
  PROXY_PORTS_LINE,
  proxyArgs,
} from "./injection-deployed.ts";
import {
  indentLines,
  PROXY_METADATA_ENV,
  proxyDefaults,
  quoted,
  TRUST_ENV,
} from "./injection-go.ts";
import { PROXY_VOLUMES, PROXY_VOLUMES_AFTER_BOOTSTRAP, proxyMounts } from "./injection-volumes.ts";
import { flowValue } from "./yaml-scalars.ts";

function env(mesh: EffectiveConfig): string[] {
  return [
    ...agentEnv(mesh),
    // A router has no application containers and publishes no pod ports.
    '- { name: ISTIO_META_POD_PORTS, value: "[]" }',
    '- { name: ISTIO_META_APP_CONTAINERS, value: "" }',
    ...GO_RUNTIME_ENV,
    `- { name: ISTIO_META_CLUSTER_ID, value: ${quoted('(.ClusterID | default "Kubernetes")')} }`,
    NODE_NAME_ENV,
    `- { name: ISTIO_META_INTERCEPTION_MODE, value: ${quoted(".ProxyConfig.InterceptionMode.String")} }`,
    ...networkEnv("ISTIO_META_NETWORK"),
    ...DEPLOYMENT_WORKLOAD_ENV,
    ...TRUST_ENV,
    ...PROXY_METADATA_ENV,
    // A Gateway labelled with a network asks to see that network's endpoints.
    ...networkEnv("ISTIO_META_REQUESTED_NETWORK_VIEW"),
  ];
}

function proxyContainer(mesh: EffectiveConfig): string[] {
  const security = {
    capabilities: { drop: ["ALL"] },
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
  };
  const securityFlow = flowValue(security).replace(
    /\}$/,
    ', runAsUser: {{ .ProxyUID | default "1337" }}, runAsGroup: {{ .ProxyGID | default "1337" }} }',
  );
  const { resources } = proxyDefaults(mesh);
  return [
    "- name: istio-proxy",
    PROXY_IMAGE_LINE,
    `  resources: ${flowValue(resources)}`,
    `  securityContext: ${securityFlow}`,
    PROXY_PORTS_LINE,
    `  args: ${proxyArgs(mesh, "router")}`,
    "  env:",
    ...indentLines(env(mesh), "  "),
    ...PROBE_LINES,
    "  volumeMounts:",
    ...indentLines(proxyMounts(), "  "),
  ];
}

export function kubeGatewayTemplate(mesh: EffectiveConfig): string {
  return deployedTemplate(mesh, {
    serviceAccountOwner: "since128",
    deployment: {
      managedBy: '"istio.io-gateway-controller"',
      selector: "flow",
      // Lets the non-root proxy listen on the Gateway's ports below 1024 (80, 443).
      podSpec: [
        `securityContext: ${flowValue({ sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] })}`,
      ],
      container: proxyContainer(mesh),
      volumes: [...PROXY_VOLUMES, ...PROXY_VOLUMES_AFTER_BOOTSTRAP],
    },
    service: { protocol: "{{ $val.Protocol }}" },
  });
}
