/**
 * The `sidecar` injection template: the iptables init container (unless interception is
 * NONE) and the Envoy proxy, as a regular container or, when istiod decides native
 * sidecars for this pod (or the pod asks with sidecar.istio.io/nativeSidecar), as a
 * restartable init container. Every per-pod annotation Istio's own template honours is
 * honoured here; our baked values are only the fallbacks.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  annotationOr,
  annotationValue,
  APP_CONTAINERS_VAR,
  CANONICAL_NAME,
  CANONICAL_REVISION,
  COMPLIANCE_ENV,
  defaultContainerAnnotations,
  fieldEnv,
  goString,
  hasAnnotation,
  identityEnv,
  imageExpr,
  indentLines,
  POD_PORTS_ENV,
  PROXY_CONFIG_ENV,
  PROXY_METADATA_ENV,
  proxyDefaults,
  type ProxyDefaults,
  quoted,
  resourceEnv,
  resourcesBlock,
  TRUST_ENV,
  userEntries,
  workloadEnv,
} from "./injection-go.ts";
import {
  bootstrapVolume,
  item,
  PROXY_VOLUMES,
  PROXY_VOLUMES_AFTER_BOOTSTRAP,
  proxyMounts,
} from "./injection-volumes.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";

const TRAFFIC = "traffic.sidecar.istio.io/";

/** Go variables every later line reads: interception mode, native sidecar, status port... */
function variables(d: ProxyDefaults): string[] {
  return [
    `{{- $mode := ${annotationOr("sidecar.istio.io/interceptionMode", ".ProxyConfig.InterceptionMode")} }}`,
    '{{- $tproxy := eq $mode "TPROXY" }}',
    `{{- $bindService := eq ${annotationOr("sidecar.istio.io/capNetBindService", '"false"')} "true" }}`,
    `{{- $native := ne (${annotationValue("sidecar.istio.io/nativeSidecar")} | default (printf "%t" .NativeSidecars)) "false" }}`,
    // pilot-agent wait blocks a regular container's start; native sidecars start first anyway.
    `{{- $hold := and (or .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue ${d.holdApplicationUntilProxyStarts}) (not $native) }}`,
    `{{- $statusPort := ${annotationOr("status.sidecar.istio.io/port", goString(d.statusPort))} }}`,
    `{{- $excludeInbound := excludeInboundPort $statusPort ${annotationOr(`${TRAFFIC}excludeInboundPorts`, '""')} }}`,
    ...APP_CONTAINERS_VAR,
  ];
}

function metadata(mesh: EffectiveConfig): string[] {
  return [
    "metadata:",
    "  labels:",
    `    security.istio.io/tlsMode: {{ index .ObjectMeta.Labels "security.istio.io/tlsMode" | default "istio" | printf "%q" }}`,
    '{{- if eq (index .ProxyConfig.ProxyMetadata "ISTIO_META_ENABLE_HBONE") "true" }}',
    `    networking.istio.io/tunnel: {{ index .ObjectMeta.Labels "networking.istio.io/tunnel" | default "http" | printf "%q" }}`,
    "{{- end }}",
    // Label values are at most 63 characters and start and end alphanumeric.
    `    service.istio.io/canonical-name: {{ ${CANONICAL_NAME} | trunc 63 | trimAll "-_." | printf "%q" }}`,
    `    service.istio.io/canonical-revision: ${quoted(CANONICAL_REVISION)}`,
    "  annotations:",
    `    istio.io/rev: ${quoteString(mesh.revisionLabel)}`,
    ...defaultContainerAnnotations("    "),
    ...(cniRedirects(mesh) ? cniAnnotations() : []),
  ];
}

/**
 * Whether the istio-cni node agent runs (dataPlane ambient or both) and so redirects the
 * sidecars' traffic itself, as Istio's `pilot.cni.enabled`: the pod then gets an unprivileged
 * `istio-validation` init container instead of `istio-init` with NET_ADMIN and NET_RAW.
 */
export function cniRedirects(mesh: EffectiveConfig): boolean {
  return mesh.ambient !== null;
}

/**
 * What the CNI plugin reads from the pod to program its iptables: the settings istio-init
 * would get as arguments. The pod's own interface and outbound-port annotations it reads
 * as they are, so only the settings with a default are written.
 */
function cniAnnotations(): string[] {
  return [
    `    sidecar.istio.io/interceptionMode: ${text("$mode")}`,
    `    ${TRAFFIC}includeOutboundIPRanges: ${text(annotationOr(`${TRAFFIC}includeOutboundIPRanges`, '"*"'))}`,
    `    ${TRAFFIC}includeInboundPorts: ${text(annotationOr(`${TRAFFIC}includeInboundPorts`, '"*"'))}`,
    `    ${TRAFFIC}excludeInboundPorts: ${text("$excludeInbound")}`,
  ];
}

/** A Go value (a string or a number) as a quoted YAML string. */
function text(expr: string): string {
  return `{{ printf "%v" (${expr}) | printf "%q" }}`;
}

function iptablesArgs(d: ProxyDefaults): string[] {
  const pair = (flag: string, value: string) => [`- ${flag}`, `- ${value}`];
  const annotated = (flag: string, key: string, fallback: string) =>
    pair(flag, text(annotationOr(key, goString(fallback))));
  const ifSet = (key: string, flag: string) => [
    `{{- if ${hasAnnotation(key)} }}`,
    ...pair(flag, text(annotationValue(key))),
    "{{- end }}",
  ];
  return [
    "- istio-iptables",
    ...pair("-p", text('.MeshConfig.ProxyListenPort | default "15001"')),
    ...pair("-z", text('.MeshConfig.ProxyInboundListenPort | default "15006"')),
    // TPROXY needs the proxy's own uid to be 1337, whatever istiod would pick.
    ...pair("-u", `{{ if $tproxy }}"1337"{{ else }}${text('.ProxyUID | default "1337"')}{{ end }}`),
    ...pair("-m", text("$mode")),
    ...annotated("-i", `${TRAFFIC}includeOutboundIPRanges`, "*"),
    ...annotated("-x", `${TRAFFIC}excludeOutboundIPRanges`, ""),
    ...annotated("-b", `${TRAFFIC}includeInboundPorts`, "*"),
    // Envoy's metrics (15090) and health (15021) ports, and the agent's status port.
    ...pair(
      "-d",
      `{{ if $excludeInbound }}${text('printf "15090,15021,%s" $excludeInbound')}{{ else }}"15090,15021"{{ end }}`,
    ),
    // Set on the pod (even empty): passed on; our defaults for these are empty.
    ...ifSet(`${TRAFFIC}includeOutboundPorts`, "-q"),
    ...ifSet(`${TRAFFIC}excludeOutboundPorts`, "-o"),
    // The newer annotation name wins over the older one.
    `{{- if ${hasAnnotation("istio.io/reroute-virtual-interfaces")} }}`,
    ...pair("-k", text(annotationValue("istio.io/reroute-virtual-interfaces"))),
    `{{- else if ${hasAnnotation(`${TRAFFIC}kubevirtInterfaces`)} }}`,
    ...pair("-k", text(annotationValue(`${TRAFFIC}kubevirtInterfaces`))),
    "{{- end }}",
    ...ifSet(`${TRAFFIC}excludeInterfaces`, "-c"),
    `- ${text(`printf "--log_output_level=%s" ${annotationOr("sidecar.istio.io/agentLogLevel", goString(d.agentLogLevel))}`)}`,
  ];
}

const INIT_SECURITY = flowValue({
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
  readOnlyRootFilesystem: false,
  runAsGroup: 0,
  runAsNonRoot: false,
  runAsUser: 0,
});
// The validation container only checks the CNI agent's rules: no capability, not root.
const proxyId = (id: string) =>
  `{{ if $tproxy }}1337{{ else }}{{ .${id} | default "1337" }}{{ end }}`;
const VALIDATION_SECURITY = flowValue({
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
}).replace(
  /\}$/,
  `, runAsGroup: ${proxyId("ProxyGID")}, runAsUser: ${proxyId("ProxyUID")}, runAsNonRoot: true }`,
);

/**
 * Redirects the pod's traffic through the proxy (iptables), then exits; where the CNI agent
 * redirects it, checks that the agent's redirection is in place instead.
 */
function initContainer(d: ProxyDefaults, cni: boolean): string[] {
  const validation = ["- --run-validation", "- --skip-rule-apply"];
  return [
    `- name: ${cni ? "istio-validation" : "istio-init"}`,
    `  image: ${quoted(imageExpr(".ProxyInitImage"))}`,
    "  args:",
    ...indentLines([...iptablesArgs(d), ...(cni ? validation : [])], "  "),
    "{{- if .ProxyConfig.ProxyMetadata }}",
    "  env:",
    ...indentLines(PROXY_METADATA_ENV, "  "),
    "{{- end }}",
    "  resources:",
    ...resourcesBlock(d, "    "),
    `  securityContext: ${cni ? VALIDATION_SECURITY : INIT_SECURITY}`,
  ];
}

function proxyArgs(d: ProxyDefaults): string {
  const flag = (name: string, key: string, fallback: string) =>
    text(`printf "--${name}=%s" ${annotationOr(key, goString(fallback))}`);
  return [
    "[proxy, sidecar, --domain, $(POD_NAMESPACE).svc.cluster.local",
    flag("proxyLogLevel", "sidecar.istio.io/logLevel", d.logLevel),
    flag("proxyComponentLogLevel", "sidecar.istio.io/componentLogLevel", d.componentLogLevel),
    `${flag("log_output_level", "sidecar.istio.io/agentLogLevel", d.agentLogLevel)}]`,
  ].join(", ");
}

function proxyEnv(d: ProxyDefaults): string[] {
  return [
    '{{- if eq .InboundTrafficPolicyMode "localhost" }}',
    '- { name: REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION, value: "true" }',
    "{{- end }}",
    ...identityEnv(d),
    `- ${resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu")}`,
    // The proxy's settings (mesh defaultConfig with the pod's proxy.istio.io/config), as JSON.
    PROXY_CONFIG_ENV,
    ...POD_PORTS_ENV,
    `- { name: ISTIO_META_APP_CONTAINERS, value: ${quoted('(join "," $apps)')} }`,
    // The agent sizes its Go runtime to the container's limits.
    `- ${resourceEnv("GOMEMLIMIT", "limits.memory")}`,
    `- ${resourceEnv("GOMAXPROCS", "limits.cpu")}`,
    ...COMPLIANCE_ENV,
    "- { name: ISTIO_META_CLUSTER_ID, value: Kubernetes }",
    `- ${fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName")}`,
    `- { name: ISTIO_META_INTERCEPTION_MODE, value: ${quoted(`(or ${annotationValue("sidecar.istio.io/interceptionMode")} .ProxyConfig.InterceptionMode.String)`)} }`,
    ...workloadEnv(
      '(index .ObjectMeta.Labels "service.istio.io/workload-name" | default .DeploymentMeta.Name)',
    ),
    `{{- if ${hasAnnotation("sidecar.istio.io/bootstrapOverride")} }}`,
    "- { name: ISTIO_BOOTSTRAP_OVERRIDE, value: /etc/istio/custom-bootstrap/custom_bootstrap.json }",
    "{{- end }}",
    ...TRUST_ENV,
    "{{- with otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}",
    `- { name: OTEL_RESOURCE_ATTRIBUTES, value: ${quoted(".")} }`,
    "{{- end }}",
    ...PROXY_METADATA_ENV,
  ];
}

const READY = { path: "/healthz/ready", port: 15021 };

function probes(): string[] {
  const timing = (key: string, fallback: string) =>
    `{{ ${annotationOr(`readiness.status.sidecar.istio.io/${key}`, goString(fallback))} }}`;
  const startup = {
    httpGet: READY,
    initialDelaySeconds: 0,
    periodSeconds: 1,
    timeoutSeconds: 3,
    failureThreshold: 600,
  };
  return [
    // Status port 0 turns the agent's health endpoint off, and with it the probes.
    '{{- if ne $statusPort "0" }}',
    `startupProbe: ${flowValue(startup)}`,
    "readinessProbe:",
    `  httpGet: ${flowValue(READY)}`,
    `  initialDelaySeconds: ${timing("initialDelaySeconds", "0")}`,
    `  periodSeconds: ${timing("periodSeconds", "15")}`,
    "  timeoutSeconds: 3",
    `  failureThreshold: ${timing("failureThreshold", "4")}`,
    "{{- end }}",
  ];
}

function proxySecurity(): string[] {
  const traced = {
    allowPrivilegeEscalation: true,
    capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
    privileged: true,
    readOnlyRootFilesystem: true,
    runAsNonRoot: false,
    runAsUser: 0,
  };
  return [
    "securityContext:",
    // iptables trace logging needs the proxy privileged (a debugging aid only).
    '{{- if eq (index .ProxyConfig.ProxyMetadata "IPTABLES_TRACE_LOGGING") "true" }}',
    ...Object.entries(traced).map(([k, v]) => `  ${k}: ${flowValue(v)}`),
    '  runAsGroup: {{ .ProxyGID | default "1337" }}',
    "{{- else }}",
    "  allowPrivilegeEscalation: false",
    "  capabilities:",
    "{{- if or $tproxy $bindService }}",
    "    add:",
    "{{- if $tproxy }}",
    "    - NET_ADMIN",
    "{{- end }}",
    "{{- if $bindService }}",
    "    - NET_BIND_SERVICE",
    "{{- end }}",
    "{{- end }}",
    "    drop: [ALL]",
    "  privileged: false",
    "  readOnlyRootFilesystem: true",
    // TPROXY and binding low ports need root; otherwise the proxy's own non-root identity.
    "{{- if or $tproxy $bindService }}",
    "  runAsNonRoot: false",
    "  runAsUser: 0",
    "  runAsGroup: 1337",
    "{{- else }}",
    "  runAsNonRoot: true",
    '  runAsUser: {{ .ProxyUID | default "1337" }}',
    '  runAsGroup: {{ .ProxyGID | default "1337" }}',
    "{{- end }}",
    "{{- end }}",
  ];
}

function mounts(): string[] {
  return [
    "volumeMounts:",
    ...proxyMounts({ crl: true, bootstrap: true }),
    ...userEntries("sidecar.istio.io/userVolumeMount", ""),
  ];
}

function proxyContainer(d: ProxyDefaults): string[] {
  const drain = [
    "pilot-agent",
    "request",
    `{{ printf "--debug-port=%s" $statusPort | printf "%q" }}`,
    "POST",
    "drain",
  ];
  return [
    "- name: istio-proxy",
    `  image: ${quoted(imageExpr(".ProxyImage"))}`,
    "{{- if $native }}",
    "  restartPolicy: Always",
    "{{- end }}",
    `  ports: ${flowValue([{ containerPort: 15090, protocol: "TCP", name: "http-envoy-prom" }])}`,
    `  args: ${proxyArgs(d)}`,
    "{{- if $hold }}",
    `  lifecycle: ${flowValue({ postStart: { exec: { command: ["pilot-agent", "wait"] } } })}`,
    "{{- else if $native }}",
    // Kubernetes stops native sidecars after the app: drain Envoy as soon as the pod stops.
    `  lifecycle: { preStop: { exec: { command: [${drain.join(", ")}] } } }`,
    "{{- end }}",
    "  env:",
    ...indentLines(proxyEnv(d), "  "),
    ...indentLines(probes(), "  "),
    ...indentLines(proxySecurity(), "  "),
    "  resources:",
    ...resourcesBlock(d, "    "),
    ...indentLines(mounts(), "  "),
  ];
}

function volumes(): string[] {
  return [
    "volumes:",
    ...PROXY_VOLUMES.map(item),
    ...bootstrapVolume(),
    ...PROXY_VOLUMES_AFTER_BOOTSTRAP.map(item),
    // Certificate revocation lists, when the mesh publishes them (optional).
    item({ name: "istio-ca-crl", configMap: { name: "istio-ca-crl", optional: true } }),
    ...userEntries("sidecar.istio.io/userVolume", ""),
  ];
}

export function sidecarTemplate(mesh: EffectiveConfig): string {
  const d = proxyDefaults(mesh);
  return [
    ...variables(d),
    ...metadata(mesh),
    "spec:",
    // Without interception and without a native sidecar there is nothing to run first.
    '{{- if and (eq $mode "NONE") (not $native) }}',
    "  initContainers: []",
    "{{- else }}",
    "  initContainers:",
    '{{- if ne $mode "NONE" }}',
    ...indentLines(initContainer(d, cniRedirects(mesh)), "  "),
    "{{- end }}",
    "{{- end }}",
    // A native sidecar stays in initContainers (with restartPolicy Always).
    "{{- if not $native }}",
    "  containers:",
    "{{- end }}",
    ...indentLines(proxyContainer(d), "  "),
    ...indentLines(volumes(), "  "),
    "",
  ].join("\n");
}
