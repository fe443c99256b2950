/**
 * The skeleton shared by the templates istiod's Gateway API deployment controller renders
 * per Gateway (kube-gateway for class istio, waypoint for class istio-waypoint): a
 * ServiceAccount, a Deployment of one proxy container, a Service with one port per
 * listener, and the autoscaler and disruption budget istiod keeps only when an overlay
 * gives them settings, all owned by the Gateway. istiod evaluates them with .Name,
 * .Namespace, .UID, .Spec, .GatewayClass, .DeploymentName, .ServiceAccount, .Ports,
 * .ServiceType, .GatewayNameLabel, .InfrastructureLabels/Annotations, .ProxyImage,
 * .ProxyConfig and .MeshConfig. Each template brings its own proxy container and what
 * differs (labels, the Service's annotations, the ServiceAccount's owner).
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  annotationOr,
  fieldEnv,
  goString,
  identityEnv,
  indentLines,
  PROXY_CONFIG_ENV,
  proxyDefaults,
  quoted,
  resourceEnv,
} from "./injection-go.ts";
import { item } from "./injection-volumes.ts";
import { flowValue } from "./yaml-scalars.ts";

/** Annotations of a Gateway that steer istiod rather than describe the objects. */
const STEERING_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "gateway.istio.io/name-override",
  "gateway.istio.io/service-account",
  "gateway.istio.io/controller-version",
];
export const GATEWAY_ANNOTATIONS = `(omit .InfrastructureAnnotations ${STEERING_ANNOTATIONS.map(goString).join(" ")})`;

const NAMED = '"gateway.networking.k8s.io/gateway-name" .Name';
const CLASSED = '"gateway.networking.k8s.io/gateway-class-name" .GatewayClass';
/** The labels of every child: the Gateway's and its class's names. */
export const CHILD_LABELS = `(strdict ${NAMED} ${CLASSED})`;
/** The Deployment's labels: the child labels and istiod's controller (`managedBy`, a Go value). */
export const managedLabels = (managedBy: string) =>
  `(strdict ${NAMED} ${CLASSED} "gateway.istio.io/managed" ${managedBy})`;

const OWNER_LINES = [
  "  ownerReferences:",
  '  - { apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, name: {{ printf "%q" .Name }}, uid: {{ printf "%q" (printf "%s" .UID) }} }',
];

/**
 * Metadata of one child, with the Gateway's infrastructure labels under `labels`. The
 * owner "since128" is set only on Kubernetes 1.28 and later (the ServiceAccount of
 * kube-gateway, as Istio does: a Pod's ServiceAccount is safely garbage-collected there).
 */
export function childMetadata(
  name: string,
  labels: string,
  options: { annotations?: string; owner?: "always" | "since128" } = {},
): string[] {
  const { annotations = GATEWAY_ANNOTATIONS, owner = "always" } = options;
  return [
    "metadata:",
    `  name: ${quoted(name)}`,
    `  namespace: ${quoted(".Namespace")}`,
    `  annotations: {{ toJsonMap ${annotations} }}`,
    `  labels: {{ toJsonMap .InfrastructureLabels ${labels} }}`,
    ...(owner === "always"
      ? OWNER_LINES
      : ["{{- if ge .KubeVersion 128 }}", ...OWNER_LINES, "{{- end }}"]),
  ];
}

/** The proxy's image: a full reference in the Gateway's proxyImage annotation, else istiod's. */
const ANNOTATED_IMAGE = '(annotation .ObjectMeta "sidecar.istio.io/proxyImage" "proxyv2")';
export const PROXY_IMAGE_LINE = `  image: {{ if contains "/" ${ANNOTATED_IMAGE} }}${quoted(ANNOTATED_IMAGE)}{{ else }}${quoted(".ProxyImage")}{{ end }}`;

export const PROXY_PORTS_LINE = `  ports: ${flowValue([
  { containerPort: 15020, name: "metrics", protocol: "TCP" },
  { containerPort: 15021, name: "status-port", protocol: "TCP" },
  { containerPort: 15090, name: "http-envoy-prom", protocol: "TCP" },
])}`;

const probe = (extra: object) =>
  flowValue({
    httpGet: { path: "/healthz/ready", port: 15021, scheme: "HTTP" },
    successThreshold: 1,
    timeoutSeconds: 1,
    ...extra,
  });
export const PROBE_LINES = [
  `  startupProbe: ${probe({ failureThreshold: 30, initialDelaySeconds: 1, periodSeconds: 1 })}`,
  `  readinessProbe: ${probe({ failureThreshold: 4, initialDelaySeconds: 0, periodSeconds: 15 })}`,
];

/** The proxy's arguments: its role, `extra` flags, and the log levels a Gateway may override. */
export function proxyArgs(mesh: EffectiveConfig, role: string, extra: string[] = []): string {
  const d = proxyDefaults(mesh);
  const level = (key: string, fallback: string) => quoted(annotationOr(key, goString(fallback)));
  return [
    `[proxy, ${role}, --domain, $(POD_NAMESPACE).svc.cluster.local`,
    ...extra,
    `--proxyLogLevel, ${level("sidecar.istio.io/logLevel", d.logLevel)}`,
    `--proxyComponentLogLevel, ${level("sidecar.istio.io/componentLogLevel", d.componentLogLevel)}`,
    `--log_output_level, ${level("sidecar.istio.io/agentLogLevel", d.agentLogLevel)}]`,
  ].join(", ");
}

/** The agent's identity, CA, proxy config and Go runtime limits (list items). */
export function agentEnv(mesh: EffectiveConfig): string[] {
  return [
    ...identityEnv(proxyDefaults(mesh)),
    `- ${resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu")}`,
    PROXY_CONFIG_ENV,
  ];
}
export const GO_RUNTIME_ENV = [
  `- ${resourceEnv("GOMEMLIMIT", "limits.memory")}`,
  `- ${resourceEnv("GOMAXPROCS", "limits.cpu")}`,
];
export const NODE_NAME_ENV = `- ${fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName")}`;

/** The workload the proxy belongs to: the Deployment istiod made for the Gateway. */
export const DEPLOYMENT_WORKLOAD_ENV = [
  `- { name: ISTIO_META_WORKLOAD_NAME, value: ${quoted(".DeploymentName")} }`,
  `- { name: ISTIO_META_OWNER, value: ${quoted('(printf "kubernetes://apis/apps/v1/namespaces/%s/deployments/%s" .Namespace .DeploymentName)')} }`,
];

/** An env entry from the Gateway's topology.istio.io/network label, when it has one. */
export function networkEnv(name: string): string[] {
  return [
    '{{- with (index .InfrastructureLabels "topology.istio.io/network") }}',
    `- { name: ${name}, value: ${quoted(".")} }`,
    "{{- end }}",
  ];
}

export interface DeploymentParts {
  /** The gateway.istio.io/managed label's value (a Go expression). */
  managedBy: string;
  /** strdict entries of the pod's own labels before its canonical name and revision. */
  podLabels?: string;
  /** The selector as one flow line, or as a block. */
  selector: "flow" | "block";
  /** Lines of the pod spec before serviceAccountName (at the pod spec's indentation). */
  podSpec?: string[];
  container: string[];
  volumes: object[];
}

function deployment(mesh: EffectiveConfig, parts: DeploymentParts): string[] {
  const managed = managedLabels(parts.managedBy);
  const podAnnotations = `${GATEWAY_ANNOTATIONS} (strdict "istio.io/rev" ${goString(mesh.revisionLabel)}) (strdict "prometheus.io/path" "/stats/prometheus" "prometheus.io/port" "15020" "prometheus.io/scrape" "true")`;
  const extra = parts.podLabels ? ` ${parts.podLabels}` : "";
  const podLabels = `(strdict "sidecar.istio.io/inject" "false"${extra} "service.istio.io/canonical-name" .DeploymentName "service.istio.io/canonical-revision" "latest") .InfrastructureLabels ${managed}`;
  const matchLabels = '{ {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} }';
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    ...childMetadata(".DeploymentName", managed),
    "spec:",
    ...(parts.selector === "flow"
      ? [`  selector: { matchLabels: ${matchLabels} }`]
      : ["  selector:", `    matchLabels: ${matchLabels}`]),
    "  template:",
    "    metadata:",
    `      annotations: {{ toJsonMap ${podAnnotations} }}`,
    `      labels: {{ toJsonMap ${podLabels} }}`,
    "    spec:",
    ...indentLines(parts.podSpec ?? [], "      "),
    `      serviceAccountName: ${quoted(".ServiceAccount")}`,
    "      containers:",
    ...indentLines(parts.container, "      "),
    "      volumes:",
    ...parts.volumes.map((v) => `      ${item(v)}`),
  ];
}

export interface ServiceParts {
  /** The Service's annotations (a Go map expression). */
  annotations?: string;
  /** Each port's protocol: a Go expression of the listener's, or a fixed one. */
  protocol: string;
}

function service(parts: ServiceParts): string[] {
  const options = parts.annotations ? { annotations: parts.annotations } : {};
  return [
    "apiVersion: v1",
    "kind: Service",
    ...childMetadata(".DeploymentName", CHILD_LABELS, options),
    "spec:",
    "  ipFamilyPolicy: PreferDualStack",
    "  ports:",
    "{{- range $key, $val := .Ports }}",
    `  - { name: {{ printf "%q" $val.Name }}, port: {{ $val.Port }}, protocol: ${parts.protocol}, appProtocol: {{ $val.AppProtocol }} }`,
    "{{- end }}",
    '  selector: { {{ printf "%q" .GatewayNameLabel }}: {{ printf "%q" .Name }} }',
    // A requested address is the load balancer's IP, where the Service type allows one.
    '{{- if and .Spec.Addresses (eq .ServiceType "LoadBalancer") }}',
    '  loadBalancerIP: {{ printf "%q" (index .Spec.Addresses 0).Value }}',
    "{{- end }}",
    `  type: ${quoted(".ServiceType")}`,
  ];
}

/** Istio's placeholders, kept by istiod only when an overlay gives them settings. */
function scaling(): string[] {
  return [
    "apiVersion: autoscaling/v2",
    "kind: HorizontalPodAutoscaler",
    ...childMetadata(".DeploymentName", CHILD_LABELS),
    "spec:",
    `  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${quoted(".DeploymentName")} }`,
    "  maxReplicas: 1",
    "---",
    "apiVersion: policy/v1",
    "kind: PodDisruptionBudget",
    ...childMetadata(".DeploymentName", CHILD_LABELS),
    "spec:",
    `  selector: { matchLabels: { gateway.networking.k8s.io/gateway-name: ${quoted(".Name")} } }`,
  ];
}

export interface DeployedTemplate {
  serviceAccountOwner: "always" | "since128";
  deployment: DeploymentParts;
  service: ServiceParts;
}

/** The whole template: ServiceAccount, Deployment, Service, autoscaler, disruption budget. */
export function deployedTemplate(mesh: EffectiveConfig, parts: DeployedTemplate): string {
  return [
    "apiVersion: v1",
    "kind: ServiceAccount",
    ...childMetadata(".ServiceAccount", CHILD_LABELS, { owner: parts.serviceAccountOwner }),
    "---",
    ...deployment(mesh, parts.deployment),
    "---",
    ...service(parts.service),
    "---",
    ...scaling(),
    "",
  ].join("\n");
}
