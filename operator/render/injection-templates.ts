/**
 * The injection templates istiod applies to pods: Go text/template sources that istiod
 * evaluates per pod (with .ObjectMeta, .Spec, .ProxyImage, .ProxyConfig, .DeploymentMeta),
 * producing the pod changes as YAML. They are written here, not in templates/, because
 * their `{{ }}` belongs to Go's template language, not ours; the values we decide
 * (resources, log levels, addresses) are baked in as YAML-quoted strings.
 *
 * Template functions used: Go's own (index, or, printf) and istiod's protoToJSON.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";

// Go template expressions, written once.
const APP_NAME =
  '{{ printf "%q" (or (index .ObjectMeta.Labels "service.istio.io/canonical-name") (index .ObjectMeta.Labels "app.kubernetes.io/name") (index .ObjectMeta.Labels "app") .DeploymentMeta.Name) }}';
const APP_REVISION =
  '{{ printf "%q" (or (index .ObjectMeta.Labels "service.istio.io/canonical-revision") (index .ObjectMeta.Labels "app.kubernetes.io/version") (index .ObjectMeta.Labels "version") "latest") }}';
const PROXY_IMAGE = '{{ printf "%q" .ProxyImage }}';
const WORKLOAD_NAME = '{{ printf "%q" .DeploymentMeta.Name }}';
// The pod's own choice of default container wins over our guess (its first container).
const DEFAULT_CONTAINER =
  '{{ printf "%q" (or (index .ObjectMeta.Annotations "kubectl.kubernetes.io/default-container") (index .Spec.Containers 0).Name) }}';

const PROXY_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "2000m", memory: "1024Mi" },
};
const INIT_RESOURCES = {
  requests: { cpu: "10m", memory: "40Mi" },
  limits: { cpu: "2000m", memory: "1024Mi" },
};

function field(name: string, path: string) {
  return { name, valueFrom: { fieldRef: { fieldPath: path } } };
}

function proxyEnv(mesh: EffectiveConfig): string {
  const env = [
    { name: "PILOT_CERT_PROVIDER", value: "istiod" },
    { name: "CA_ADDR", value: mesh.istiod.discoveryAddress },
    field("POD_NAME", "metadata.name"),
    field("POD_NAMESPACE", "metadata.namespace"),
    field("INSTANCE_IP", "status.podIP"),
    field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    field("HOST_IP", "status.hostIP"),
    field("ISTIO_META_NODE_NAME", "spec.nodeName"),
    { name: "ISTIO_CPU_LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
    { name: "ISTIO_META_CLUSTER_ID", value: "Kubernetes" },
    { name: "ISTIO_META_INTERCEPTION_MODE", value: "REDIRECT" },
    { name: "ISTIO_META_MESH_ID", value: "cluster.local" },
    { name: "TRUST_DOMAIN", value: "cluster.local" },
  ];
  const lines = env.map((e) => `      - ${flowValue(e)}`);
  // The proxy's settings (discovery address and the mesh's defaultConfig), as istiod resolved them for this pod.
  lines.push("      - name: PROXY_CONFIG");
  lines.push('        value: {{ printf "%q" (protoToJSON .ProxyConfig) }}');
  lines.push(`      - name: ISTIO_META_WORKLOAD_NAME`);
  lines.push(`        value: ${WORKLOAD_NAME}`);
  return lines.join("\n");
}

const PROXY_MOUNTS = [
  { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
  { name: "credential-socket", mountPath: "/var/run/secrets/credential-uds" },
  { name: "workload-certs", mountPath: "/var/run/secrets/workload-spiffe-credentials" },
  { name: "istiod-ca-cert", mountPath: "/var/run/secrets/istio" },
  { name: "istio-data", mountPath: "/var/lib/istio/data" },
  { name: "istio-envoy", mountPath: "/etc/istio/proxy" },
  { name: "istio-token", mountPath: "/var/run/secrets/tokens" },
  { name: "istio-podinfo", mountPath: "/etc/istio/pod" },
];

const PROXY_VOLUMES = [
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

const READY = {
  httpGet: { path: "/healthz/ready", port: 15021 },
  initialDelaySeconds: 0,
  timeoutSeconds: 3,
};
const PROXY_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsGroup: 1337,
  runAsNonRoot: true,
  runAsUser: 1337,
};

function proxyContainer(mesh: EffectiveConfig, role: "sidecar" | "router"): string {
  const proxy = mesh.spec.sidecarInjector.proxy;
  const args = [
    "proxy",
    role,
    "--domain",
    "$(POD_NAMESPACE).svc.cluster.local",
    `--proxyLogLevel=${proxy.logLevel}`,
    "--proxyComponentLogLevel=misc:error",
    "--log_output_level=default:info",
  ];
  const lines = [
    "    - name: istio-proxy",
    `      image: ${PROXY_IMAGE}`,
    `      args: ${flowValue(args)}`,
    `      ports: ${flowValue([{ name: "http-envoy-prom", containerPort: 15090, protocol: "TCP" }])}`,
    "      env:",
    proxyEnv(mesh),
    `      readinessProbe: ${flowValue({ ...READY, periodSeconds: 15, failureThreshold: 4 })}`,
    `      resources: ${flowValue(proxy.resources ?? PROXY_RESOURCES)}`,
    `      securityContext: ${flowValue(PROXY_SECURITY)}`,
    `      volumeMounts: ${flowValue(PROXY_MOUNTS)}`,
  ];
  if (role === "sidecar") {
    lines.push(
      `      startupProbe: ${flowValue({ ...READY, periodSeconds: 1, failureThreshold: 600 })}`,
    );
    // The application starts only once the proxy is ready (spec.sidecarInjector.proxy).
    if (proxy.holdApplicationUntilProxyStarts) {
      lines.push(
        `      lifecycle: ${flowValue({ postStart: { exec: { command: ["pilot-agent", "wait"] } } })}`,
      );
    }
  }
  return lines.join("\n");
}

function metadata(mesh: EffectiveConfig, withDefaultContainer: boolean): string {
  const lines = [
    "metadata:",
    "  labels:",
    "    security.istio.io/tlsMode: istio",
    `    service.istio.io/canonical-name: ${APP_NAME}`,
    `    service.istio.io/canonical-revision: ${APP_REVISION}`,
    "  annotations:",
    `    istio.io/rev: ${quoteString(mesh.revisionLabel)}`,
  ];
  if (withDefaultContainer) {
    lines.push(`    kubectl.kubernetes.io/default-container: ${DEFAULT_CONTAINER}`);
    lines.push(`    kubectl.kubernetes.io/default-logs-container: ${DEFAULT_CONTAINER}`);
  }
  return lines.join("\n");
}

/** Redirects the pod's traffic through the proxy (iptables), then exits. */
function initContainer(): string {
  const args = [
    "istio-iptables",
    "-p",
    "15001",
    "-z",
    "15006",
    "-u",
    "1337",
    "-m",
    "REDIRECT",
    "-i",
    "*",
    "-x",
    "",
    "-b",
    "*",
    "-d",
    "15090,15021,15020",
    "--log_output_level=default:info",
  ];
  const security = {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
    readOnlyRootFilesystem: false,
    runAsGroup: 0,
    runAsNonRoot: false,
    runAsUser: 0,
  };
  return [
    "    - name: istio-init",
    `      image: ${PROXY_IMAGE}`,
    `      args: ${flowValue(args)}`,
    `      resources: ${flowValue(INIT_RESOURCES)}`,
    `      securityContext: ${flowValue(security)}`,
  ].join("\n");
}

export function sidecarTemplate(mesh: EffectiveConfig): string {
  return [
    metadata(mesh, true),
    "spec:",
    "  initContainers:",
    initContainer(),
    "  containers:",
    proxyContainer(mesh, "sidecar"),
    `  volumes: ${flowValue(PROXY_VOLUMES)}`,
    "",
  ].join("\n");
}

export function gatewayTemplate(mesh: EffectiveConfig): string {
  return [
    metadata(mesh, false),
    "spec:",
    `  securityContext: ${flowValue({ sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] })}`,
    "  containers:",
    proxyContainer(mesh, "router"),
    `  volumes: ${flowValue(PROXY_VOLUMES)}`,
    "",
  ].join("\n");
}
