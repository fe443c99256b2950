/**
 * The `kube-gateway` template: what istiod's Gateway API deployment controller renders for
 * every Gateway of class `istio` (an ingress or egress gateway declared with the Gateway
 * API). istiod evaluates it per Gateway (.Name, .Namespace, .UID, .Spec, .GatewayClass,
 * .DeploymentName, .ServiceAccount, .Ports, .ServiceType, .KubeVersion, .ControllerLabel,
 * .GatewayNameLabel, .InfrastructureLabels/Annotations, .ProxyImage, .ProxyConfig,
 * .MeshConfig, .ProxyUID/.ProxyGID) and server-side applies what it yields as the Gateway's
 * children: a ServiceAccount, a Deployment of the proxy as a router, a Service with one port
 * per listener, and an autoscaler and a disruption budget, which istiod keeps only when a
 * GatewayClass or parametersRef ConfigMap gives them settings (its "required overlays").
 *
 * The pod is not injected (sidecar.istio.io/inject=false): the template itself carries the
 * whole proxy. As in the other injection templates, what Meshkeeper decides (log levels,
 * proxy resources, istiod's address) is baked in, and the Gateway's annotations override
 * what Istio lets them override. Checked against Istio's own kube-gateway template by the
 * real-Istio tier (test/istio/gateway-api.test.ts: both istiods deploy the same Gateway).
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  annotationOr,
  fieldEnv,
  goString,
  indentLines,
  PROXY_METADATA_ENV,
  proxyDefaults,
  quoted,
  resourceEnv,
  TRUST_ENV,
} from "./injection-go.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";

/** Annotations of a Gateway that steer istiod rather than describe the objects. */
const STEERING_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "gateway.istio.io/name-override",
  "gateway.istio.io/service-account",
  "gateway.istio.io/controller-version",
];
const ANNOTATIONS = `(omit .InfrastructureAnnotations ${STEERING_ANNOTATIONS.map(goString).join(" ")})`;
const NAMED = '"gateway.networking.k8s.io/gateway-name" .Name';
const CLASSED = '"gateway.networking.k8s.io/gateway-class-name" .GatewayClass';
const MANAGED = '"gateway.istio.io/managed" "istio.io-gateway-controller"';
const CHILD_LABELS = `.InfrastructureLabels (strdict ${NAMED} ${CLASSED})`;
const MANAGED_LABELS = `.InfrastructureLabels (strdict ${NAMED} ${CLASSED} ${MANAGED})`;

const OWNER_REFERENCE =
  '- { apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, name: {{ printf "%q" .Name }}, uid: {{ printf "%q" (printf "%s" .UID) }} }';

/**
 * Metadata of one child. The ServiceAccount gets its owner only on Kubernetes 1.28 and
 * later, where a Pod's ServiceAccount may be garbage-collected safely (as Istio does).
 */
function metadata(name: string, labels: string, owner: "always" | "since128" = "always") {
  const ownerLines = ["  ownerReferences:", `  ${OWNER_REFERENCE}`];
  return [
    "metadata:",
    `  name: ${quoted(name)}`,
    `  namespace: ${quoted(".Namespace")}`,
    `  annotations: {{ toJsonMap ${ANNOTATIONS} }}`,
    `  labels: {{ toJsonMap ${labels} }}`,
    ...(owner === "always"
      ? ownerLines
      : ["{{- if ge .KubeVersion 128 }}", ...ownerLines, "{{- end }}"]),
  ];
}

function env(mesh: EffectiveConfig): string[] {
  const d = proxyDefaults(mesh);
  const entries = [
    "{ name: PILOT_CERT_PROVIDER, value: istiod }",
    `{ name: CA_ADDR, value: ${quoteString(d.caAddress)} }`,
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("INSTANCE_IP", "status.podIP"),
    fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    fieldEnv("HOST_IP", "status.hostIP"),
    resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"),
    '{ name: PROXY_CONFIG, value: {{ printf "%s\\n" (protoToJSON .ProxyConfig) | printf "%q" }} }',
    // A router has no application containers and publishes no pod ports.
    '{ name: ISTIO_META_POD_PORTS, value: "[]" }',
    '{ name: ISTIO_META_APP_CONTAINERS, value: "" }',
    resourceEnv("GOMEMLIMIT", "limits.memory"),
    resourceEnv("GOMAXPROCS", "limits.cpu"),
    `{ name: ISTIO_META_CLUSTER_ID, value: ${quoted('(.ClusterID | default "Kubernetes")')} }`,
    fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"),
    `{ name: ISTIO_META_INTERCEPTION_MODE, value: ${quoted(".ProxyConfig.InterceptionMode.String")} }`,
  ].map((e) => `- ${e}`);
  const network = (name: string) => [
    '{{- with (index .InfrastructureLabels "topology.istio.io/network") }}',
    `- { name: ${name}, value: ${quoted(".")} }`,
    "{{- end }}",
  ];
  return [
    ...entries,
    ...network("ISTIO_META_NETWORK"),
    `- { name: ISTIO_META_WORKLOAD_NAME, value: ${quoted(".DeploymentName")} }`,
    `- { name: ISTIO_META_OWNER, value: ${quoted('(printf "kubernetes://apis/apps/v1/namespaces/%s/deployments/%s" .Namespace .DeploymentName)')} }`,
    ...TRUST_ENV,
    ...PROXY_METADATA_ENV,
    // A Gateway labelled with a network asks to see that network's endpoints.
    ...network("ISTIO_META_REQUESTED_NETWORK_VIEW"),
  ];
}

function args(mesh: EffectiveConfig): string {
  const d = proxyDefaults(mesh);
  const level = (key: string, fallback: string) => quoted(annotationOr(key, goString(fallback)));
  return [
    "[proxy, router, --domain, $(POD_NAMESPACE).svc.cluster.local",
    `--proxyLogLevel, ${level("sidecar.istio.io/logLevel", d.logLevel)}`,
    `--proxyComponentLogLevel, ${level("sidecar.istio.io/componentLogLevel", d.componentLogLevel)}`,
    `--log_output_level, ${level("sidecar.istio.io/agentLogLevel", d.agentLogLevel)}]`,
  ].join(", ");
}

const readiness = (extra: object) => ({
  httpGet: { path: "/healthz/ready", port: 15021, scheme: "HTTP" },
  successThreshold: 1,
  timeoutSeconds: 1,
  ...extra,
});

const VOLUMES = [
  { name: "workload-socket", emptyDir: {} },
  { name: "credential-socket", emptyDir: {} },
  { name: "workload-certs", emptyDir: {} },
  { name: "istio-envoy", emptyDir: { medium: "Memory" } },
  { name: "istio-data", emptyDir: {} },
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
            path: "istio-token",
            expirationSeconds: 43200,
            audience: "istio-ca",
          },
        },
      ],
    },
  },
  { name: "istiod-ca-cert", configMap: { name: "istio-ca-root-cert" } },
];

const MOUNTS = [
  { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
  { name: "credential-socket", mountPath: "/var/run/secrets/credential-uds" },
  { name: "workload-certs", mountPath: "/var/run/secrets/workload-spiffe-credentials" },
  { name: "istiod-ca-cert", mountPath: "/var/run/secrets/istio" },
  { name: "istio-data", mountPath: "/var/lib/istio/data" },
  { name: "istio-envoy", mountPath: "/etc/istio/proxy" },
  { name: "istio-token", mountPath: "/var/run/secrets/tokens" },
  { name: "istio-podinfo", mountPath: "/etc/istio/pod" },
];

const item = (v: object) => `- ${flowValue(v)}`;

function proxyContainer(mesh: EffectiveConfig): string[] {
  const ports = [
    { containerPort: 15020, name: "metrics", protocol: "TCP" },
    { containerPort: 15021, name: "status-port", protocol: "TCP" },
    { containerPort: 15090, name: "http-envoy-prom", protocol: "TCP" },
  ];
  // A full image reference in the annotation replaces istiod's proxy image.
  const annotated = '(annotation .ObjectMeta "sidecar.istio.io/proxyImage" "proxyv2")';
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
    `  image: {{ if contains "/" ${annotated} }}${quoted(annotated)}{{ else }}${quoted(".ProxyImage")}{{ end }}`,
    `  resources: ${flowValue(resources)}`,
    `  securityContext: ${securityFlow}`,
    `  ports: ${flowValue(ports)}`,
    `  args: ${args(mesh)}`,
    "  env:",
    ...indentLines(env(mesh), "  "),
    `  startupProbe: ${flowValue(readiness({ failureThreshold: 30, initialDelaySeconds: 1, periodSeconds: 1 }))}`,
    `  readinessProbe: ${flowValue(readiness({ failureThreshold: 4, initialDelaySeconds: 0, periodSeconds: 15 }))}`,
    "  volumeMounts:",
    ...MOUNTS.map((m) => `  ${item(m)}`),
  ];
}

function deployment(mesh: EffectiveConfig): string[] {
  const podAnnotations = `${ANNOTATIONS} (strdict "istio.io/rev" ${goString(mesh.revisionLabel)}) (strdict "prometheus.io/path" "/stats/prometheus" "prometheus.io/port" "15020" "prometheus.io/scrape" "true")`;
  const podLabels = `(strdict "sidecar.istio.io/inject" "false" "service.istio.io/canonical-name" .DeploymentName "service.istio.io/canonical-revision" "latest") ${MANAGED_LABELS}`;
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    ...metadata(".DeploymentName", MANAGED_LABELS),
    "spec:",
    '  selector: { matchLabels: { {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} } }',
    "  template:",
    "    metadata:",
    `      annotations: {{ toJsonMap ${podAnnotations} }}`,
    `      labels: {{ toJsonMap ${podLabels} }}`,
    "    spec:",
    // Lets the non-root proxy listen on the Gateway's ports below 1024 (80, 443).
    `      securityContext: ${flowValue({ sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] })}`,
    `      serviceAccountName: ${quoted(".ServiceAccount")}`,
    "      containers:",
    ...indentLines(proxyContainer(mesh), "      "),
    "      volumes:",
    ...VOLUMES.map((v) => `      ${item(v)}`),
  ];
}

function service(): string[] {
  return [
    "apiVersion: v1",
    "kind: Service",
    ...metadata(".DeploymentName", CHILD_LABELS),
    "spec:",
    "  ipFamilyPolicy: PreferDualStack",
    "  ports:",
    "{{- range $key, $val := .Ports }}",
    '  - { name: {{ printf "%q" $val.Name }}, port: {{ $val.Port }}, protocol: {{ $val.Protocol }}, appProtocol: {{ $val.AppProtocol }} }',
    "{{- end }}",
    '  selector: { {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} }',
    // A requested address is the load balancer's IP, where the Service type allows one.
    '{{- if and .Spec.Addresses (eq .ServiceType "LoadBalancer") }}',
    '  loadBalancerIP: {{ printf "%q" (index .Spec.Addresses 0).Value }}',
    "{{- end }}",
    `  type: ${quoted(".ServiceType")}`,
  ];
}

/** Kept by istiod only when an overlay gives settings (GatewayClass defaults, parametersRef). */
function scaling(): string[] {
  return [
    "apiVersion: autoscaling/v2",
    "kind: HorizontalPodAutoscaler",
    ...metadata(".DeploymentName", CHILD_LABELS),
    "spec:",
    `  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${quoted(".DeploymentName")} }`,
    "  maxReplicas: 1",
    "---",
    "apiVersion: policy/v1",
    "kind: PodDisruptionBudget",
    ...metadata(".DeploymentName", CHILD_LABELS),
    "spec:",
    '  selector: { matchLabels: { gateway.networking.k8s.io/gateway-name: {{ printf "%q" .Name }} } }',
  ];
}

export function kubeGatewayTemplate(mesh: EffectiveConfig): string {
  return [
    "apiVersion: v1",
    "kind: ServiceAccount",
    ...metadata(".ServiceAccount", CHILD_LABELS, "since128"),
    "---",
    ...deployment(mesh),
    "---",
    ...service(),
    "---",
    ...scaling(),
    "",
  ].join("\n");
}
