/**
 * The `waypoint` template: what istiod's Gateway API deployment controller renders for a
 * Gateway of class istio-waypoint (ambient's L7 proxy for a namespace or service). istiod
 * evaluates it per Gateway with .Name, .Namespace, .DeploymentName, .ServiceAccount, .UID,
 * .GatewayClass, .InfrastructureLabels/Annotations, .Ports, .ServiceType, .ProxyImage,
 * .ProxyConfig and .MeshConfig, and applies the objects it yields (ServiceAccount,
 * Deployment, Service, and the HorizontalPodAutoscaler and PodDisruptionBudget a Gateway's
 * parameters may fill in), all owned by the Gateway.
 *
 * As in the other injection templates, the values Meshkeeper decides (log levels,
 * resources, istiod's address) are baked in; a Gateway's annotations override the ones
 * Istio lets them override.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  annotationOr,
  fieldEnv,
  goString,
  proxyDefaults,
  quoted,
  resourceEnv,
} from "./injection-go.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";

/** Istio's defaults for waypoint proxies (global.waypoint.resources). */
export const WAYPOINT_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "2", memory: "1Gi" },
};

/** Annotations of the Gateway that steer istiod, not the objects it creates. */
const OMITTED_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "gateway.istio.io/name-override",
  "gateway.istio.io/service-account",
  "gateway.istio.io/controller-version",
].map(goString);

const ANNOTATIONS = `(omit .InfrastructureAnnotations ${OMITTED_ANNOTATIONS.join(" ")})`;

const GATEWAY_LABELS =
  '(strdict "gateway.networking.k8s.io/gateway-name" .Name "gateway.networking.k8s.io/gateway-class-name" .GatewayClass)';
const MANAGED_LABELS =
  '(strdict "gateway.networking.k8s.io/gateway-name" .Name "gateway.networking.k8s.io/gateway-class-name" .GatewayClass "gateway.istio.io/managed" .ControllerLabel)';

/** The objects belong to the Gateway: deleting it deletes them. */
const OWNER = [
  "  ownerReferences:",
  '  - { apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, name: {{ printf "%q" .Name }}, uid: {{ printf "%q" (printf "%s" .UID) }} }',
];

function metadata(nameExpr: string, labels: string, annotations = ANNOTATIONS): string[] {
  return [
    "metadata:",
    `  name: ${quoted(nameExpr)}`,
    `  namespace: ${quoted(".Namespace")}`,
    `  annotations: {{ toJsonMap ${annotations} }}`,
    `  labels: {{ toJsonMap .InfrastructureLabels ${labels} }}`,
    ...OWNER,
  ];
}

function env(mesh: EffectiveConfig): string[] {
  const d = proxyDefaults(mesh);
  return [
    fieldEnv("ISTIO_META_SERVICE_ACCOUNT", "spec.serviceAccountName"),
    fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"),
    "{ name: PILOT_CERT_PROVIDER, value: istiod }",
    `{ name: CA_ADDR, value: ${quoteString(d.caAddress)} }`,
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("INSTANCE_IP", "status.podIP"),
    fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    fieldEnv("HOST_IP", "status.hostIP"),
    resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"),
    '{ name: PROXY_CONFIG, value: {{ printf "%s\\n" (protoToJSON .ProxyConfig) | printf "%q" }} }',
    resourceEnv("GOMEMLIMIT", "limits.memory"),
    resourceEnv("GOMAXPROCS", "limits.cpu"),
    "{ name: ISTIO_META_CLUSTER_ID, value: Kubernetes }",
    "{ name: ISTIO_META_INTERCEPTION_MODE, value: REDIRECT }",
    `{ name: ISTIO_META_WORKLOAD_NAME, value: ${quoted(".DeploymentName")} }`,
    `{ name: ISTIO_META_OWNER, value: ${quoted('(printf "kubernetes://apis/apps/v1/namespaces/%s/deployments/%s" .Namespace .DeploymentName)')} }`,
  ].map((e) => `- ${e}`);
}

const NETWORK_ENV = [
  '{{- with (index .InfrastructureLabels "topology.istio.io/network") }}',
  `- { name: ISTIO_META_NETWORK, value: ${quoted(".")} }`,
  "{{- end }}",
];

const TRUST_ENV = [
  "{{- with .MeshConfig.TrustDomain }}",
  `- { name: ISTIO_META_MESH_ID, value: ${quoted(".")} }`,
  `- { name: TRUST_DOMAIN, value: ${quoted(".")} }`,
  "{{- end }}",
];

/** The proxyMetadata entries (mesh defaultConfig and the Gateway's proxy config) as env. */
const PROXY_METADATA_ENV = [
  "{{- range $key, $value := .ProxyConfig.ProxyMetadata }}",
  `- { name: ${quoted("$key")}, value: ${quoted("$value")} }`,
  "{{- end }}",
];

function args(mesh: EffectiveConfig): string {
  const d = proxyDefaults(mesh);
  const level = (key: string, fallback: string) => quoted(annotationOr(key, goString(fallback)));
  return [
    "[proxy, waypoint, --domain, $(POD_NAMESPACE).svc.cluster.local, --serviceCluster, ",
    '{{ printf "%s.$(POD_NAMESPACE)" .ServiceAccount | printf "%q" }}, ',
    `--proxyLogLevel, ${level("sidecar.istio.io/logLevel", d.logLevel)}, `,
    `--proxyComponentLogLevel, ${level("sidecar.istio.io/componentLogLevel", d.componentLogLevel)}, `,
    `--log_output_level, ${level("sidecar.istio.io/agentLogLevel", d.agentLogLevel)}]`,
  ].join("");
}

const probe = (extra: object) => ({
  httpGet: { path: "/healthz/ready", port: 15021, scheme: "HTTP" },
  successThreshold: 1,
  timeoutSeconds: 1,
  ...extra,
});

const VOLUMES = [
  { name: "workload-socket", emptyDir: {} },
  { name: "istio-envoy", emptyDir: { medium: "Memory" } },
  { name: "go-proxy-envoy", emptyDir: { medium: "Memory" } },
  { name: "istio-data", emptyDir: {} },
  { name: "go-proxy-data", emptyDir: {} },
  {
    name: "istio-podinfo",
    downwardAPI: {
      items: [
        { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
        { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
      ],
    },
  },
  {
    name: "istio-token",
    projected: {
      sources: [
        {
          serviceAccountToken: {
            audience: "istio-ca",
            expirationSeconds: 43200,
            path: "istio-token",
          },
        },
      ],
    },
  },
  { name: "istiod-ca-cert", configMap: { name: "istio-ca-root-cert" } },
];

const MOUNTS = [
  { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
  { name: "istiod-ca-cert", mountPath: "/var/run/secrets/istio" },
  { name: "istio-data", mountPath: "/var/lib/istio/data" },
  { name: "istio-envoy", mountPath: "/etc/istio/proxy" },
  { name: "istio-token", mountPath: "/var/run/secrets/tokens" },
  { name: "istio-podinfo", mountPath: "/etc/istio/pod" },
];

const item = (v: object) => `- ${flowValue(v)}`;
const indent = (lines: string[], by: string) =>
  lines.map((l) => (l.startsWith("{{-") ? l : by + l));

function container(mesh: EffectiveConfig): string[] {
  const ports = [
    { containerPort: 15020, name: "metrics", protocol: "TCP" },
    { containerPort: 15021, name: "status-port", protocol: "TCP" },
    { containerPort: 15090, name: "http-envoy-prom", protocol: "TCP" },
  ];
  const image = '(annotation .ObjectMeta "sidecar.istio.io/proxyImage" "proxyv2")';
  return [
    "- name: istio-proxy",
    `  image: {{ if contains "/" ${image} }}${quoted(image)}{{ else }}${quoted(".ProxyImage")}{{ end }}`,
    `  ports: ${flowValue(ports)}`,
    `  args: ${args(mesh)}`,
    "  env:",
    ...indent([...env(mesh), ...NETWORK_ENV, ...TRUST_ENV, ...PROXY_METADATA_ENV], "  "),
    `  resources: ${flowValue(WAYPOINT_RESOURCES)}`,
    `  startupProbe: ${flowValue(probe({ failureThreshold: 30, initialDelaySeconds: 1, periodSeconds: 1 }))}`,
    `  readinessProbe: ${flowValue(probe({ failureThreshold: 4, initialDelaySeconds: 0, periodSeconds: 15 }))}`,
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
    ...MOUNTS.map((m) => `  ${item(m)}`),
  ];
}

function deployment(mesh: EffectiveConfig): string[] {
  const podAnnotations = `${ANNOTATIONS} (strdict "istio.io/rev" ${goString(mesh.revisionLabel)}) (strdict "prometheus.io/path" "/stats/prometheus" "prometheus.io/port" "15020" "prometheus.io/scrape" "true")`;
  // The waypoint is a proxy itself: never injected, never captured by ztunnel.
  const podLabels = `(strdict "sidecar.istio.io/inject" "false" "istio.io/dataplane-mode" "none" "service.istio.io/canonical-name" .DeploymentName "service.istio.io/canonical-revision" "latest") .InfrastructureLabels ${MANAGED_LABELS}`;
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    ...metadata(".DeploymentName", MANAGED_LABELS),
    "spec:",
    "  selector:",
    '    matchLabels: { {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} }',
    "  template:",
    "    metadata:",
    `      annotations: {{ toJsonMap ${podAnnotations} }}`,
    `      labels: {{ toJsonMap ${podLabels} }}`,
    "    spec:",
    `      serviceAccountName: ${quoted(".ServiceAccount")}`,
    "      containers:",
    ...indent(container(mesh), "      "),
    "      volumes:",
    ...VOLUMES.map((v) => `      ${item(v)}`),
  ];
}

function service(): string[] {
  const annotations = `(strdict "networking.istio.io/traffic-distribution" "PreferClose") ${ANNOTATIONS}`;
  return [
    "apiVersion: v1",
    "kind: Service",
    ...metadata(".DeploymentName", GATEWAY_LABELS, annotations),
    "spec:",
    "  ipFamilyPolicy: PreferDualStack",
    "  ports:",
    "{{- range $key, $val := .Ports }}",
    '  - { name: {{ printf "%q" $val.Name }}, port: {{ $val.Port }}, protocol: TCP, appProtocol: {{ $val.AppProtocol }} }',
    "{{- end }}",
    '  selector: { {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} }',
    '{{- if and .Spec.Addresses (eq .ServiceType "LoadBalancer") }}',
    '  loadBalancerIP: {{ printf "%q" (index .Spec.Addresses 0).Value }}',
    "{{- end }}",
    `  type: ${quoted(".ServiceType")}`,
  ];
}

/** Istio's placeholders: one replica at most, and a budget over the waypoint's pods. */
function scaling(): string[] {
  return [
    "apiVersion: autoscaling/v2",
    "kind: HorizontalPodAutoscaler",
    ...metadata(".DeploymentName", GATEWAY_LABELS),
    "spec:",
    `  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${quoted(".DeploymentName")} }`,
    "  maxReplicas: 1",
    "---",
    "apiVersion: policy/v1",
    "kind: PodDisruptionBudget",
    ...metadata(".DeploymentName", GATEWAY_LABELS),
    "spec:",
    `  selector: { matchLabels: { gateway.networking.k8s.io/gateway-name: ${quoted(".Name")} } }`,
  ];
}

export function waypointTemplate(mesh: EffectiveConfig): string {
  return [
    "apiVersion: v1",
    "kind: ServiceAccount",
    ...metadata(".ServiceAccount", GATEWAY_LABELS),
    "---",
    ...deployment(mesh),
    "---",
    ...service(),
    "---",
    ...scaling(),
    "",
  ].join("\n");
}
