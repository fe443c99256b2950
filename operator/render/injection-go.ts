/**
 * The vocabulary our injection templates are written in: Go text/template expressions
 * (istiod evaluates them per pod, with Go's and sprig's functions plus istiod's own:
 * annotation, isset, excludeInboundPort, structToJSON, protoToJSON, fromJSON, toYaml,
 * valueOrDefault, toLower, otelResourceAttributes) and the baked values they fall back to.
 *
 * Every value that reaches the pod goes through `printf "%q"` (a Go-quoted string is a
 * valid YAML double-quoted scalar), so no annotation value can start a new YAML line;
 * integers (probe timings) are printed bare, as the Kubernetes field needs a number.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import { quoteString } from "./yaml-scalars.ts";

/** A Go string literal (Go accepts JSON's escapes; baked values are schema-checked text). */
export function goString(value: string): string {
  return JSON.stringify(value);
}

/** `{{ printf "%q" expr }}`: a Go expression's value as one YAML double-quoted scalar. */
export function quoted(expr: string): string {
  return `{{ printf "%q" ${expr} }}`;
}

/** The pod's annotation, or our baked default when the pod does not set it. */
export function annotationOr(key: string, fallback: string): string {
  return `(annotation .ObjectMeta ${goString(key)} ${fallback})`;
}

export function hasAnnotation(key: string): string {
  return `(isset .ObjectMeta.Annotations ${goString(key)})`;
}

export function annotationValue(key: string): string {
  return `(index .ObjectMeta.Annotations ${goString(key)})`;
}

/** The settings Meshkeeper decides for every proxy, before a pod's annotations override them. */
export interface ProxyDefaults {
  logLevel: string;
  componentLogLevel: string;
  agentLogLevel: string;
  statusPort: string;
  caAddress: string;
  resources: {
    requests?: Record<string, string | number> | undefined;
    limits?: Record<string, string | number> | undefined;
  };
  holdApplicationUntilProxyStarts: boolean;
}

const DEFAULT_PROXY_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "2000m", memory: "1024Mi" },
};

export function proxyDefaults(mesh: EffectiveConfig): ProxyDefaults {
  const proxy = mesh.spec.sidecarInjector.proxy;
  return {
    logLevel: proxy.logLevel,
    componentLogLevel: "misc:error",
    agentLogLevel: "default:info",
    statusPort: "15020",
    caAddress: mesh.istiod.discoveryAddress,
    resources: proxy.resources ?? DEFAULT_PROXY_RESOURCES,
    holdApplicationUntilProxyStarts: proxy.holdApplicationUntilProxyStarts,
  };
}

/** `$apps`: the pod's containers but the proxy, in order (default container, app list env). */
export const APP_CONTAINERS_VAR = [
  "{{- $apps := list }}",
  '{{- range .Spec.Containers }}{{ if ne .Name "istio-proxy" }}{{ $apps = append $apps .Name }}{{ end }}{{ end }}',
];

function labelChain(keys: string[], last: string): string {
  const lookups = keys.map((k) => `(index .ObjectMeta.Labels ${goString(k)})`);
  return `(or ${lookups.join(" ")} ${last})`;
}

export const CANONICAL_NAME = labelChain(
  ["service.istio.io/canonical-name", "app.kubernetes.io/name", "app"],
  ".DeploymentMeta.Name",
);
export const CANONICAL_REVISION = labelChain(
  ["service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"],
  '"latest"',
);

/**
 * The annotations naming the default container (kubectl's), unless the pod names one;
 * lines at `indent`, inside an `annotations:` block.
 */
export function defaultContainerAnnotations(indent: string): string[] {
  const lines = ["{{- if $apps }}"];
  for (const key of [
    "kubectl.kubernetes.io/default-logs-container",
    "kubectl.kubernetes.io/default-container",
  ]) {
    lines.push(`{{- if not ${hasAnnotation(key)} }}`);
    lines.push(`${indent}${key}: ${quoted("(index $apps 0)")}`);
    lines.push("{{- end }}");
  }
  lines.push("{{- end }}");
  return lines;
}

/**
 * Container resources: the pod's proxyCPU/proxyMemory(Limit) annotations when it sets any
 * (and then only those), otherwise ours. Lines at `indent` below a `resources:` key.
 */
export function resourcesBlock(defaults: ProxyDefaults, indent: string): string[] {
  const anyOf = (keys: string[]) => `(or ${keys.map(hasAnnotation).join(" ")})`;
  const sections = [
    { name: "requests", cpu: "sidecar.istio.io/proxyCPU", memory: "sidecar.istio.io/proxyMemory" },
    {
      name: "limits",
      cpu: "sidecar.istio.io/proxyCPULimit",
      memory: "sidecar.istio.io/proxyMemoryLimit",
    },
  ];
  const all = sections.flatMap((s) => [s.cpu, s.memory]);
  const lines = [`{{- if ${anyOf(all)} }}`];
  for (const s of sections) {
    lines.push(`{{- if ${anyOf([s.cpu, s.memory])} }}`);
    lines.push(`${indent}${s.name}:`);
    for (const [resource, key] of [
      ["cpu", s.cpu],
      ["memory", s.memory],
    ] as const) {
      lines.push(`{{- if ${hasAnnotation(key)} }}`);
      lines.push(`${indent}  ${resource}: ${quoted(annotationValue(key))}`);
      lines.push("{{- end }}");
    }
    lines.push("{{- end }}");
  }
  lines.push("{{- else }}");
  for (const [name, values] of Object.entries(defaults.resources)) {
    if (!values || Object.keys(values).length === 0) continue;
    lines.push(`${indent}${name}:`);
    for (const [resource, quantity] of Object.entries(values)) {
      lines.push(`${indent}  ${quoteString(resource)}: ${quoteString(String(quantity))}`);
    }
  }
  lines.push("{{- end }}");
  return lines;
}

export function fieldEnv(name: string, path: string): string {
  return `{ name: ${name}, valueFrom: { fieldRef: { fieldPath: ${path} } } }`;
}

export function resourceEnv(name: string, resource: string): string {
  return `{ name: ${name}, valueFrom: { resourceFieldRef: { resource: ${resource}, divisor: "1" } } }`;
}

/** The proxy's settings (mesh defaultConfig with the pod's proxy.istio.io/config) as a JSON line. */
export const PROXY_CONFIG_ENV =
  '- { name: PROXY_CONFIG, value: {{ printf "%s\\n" (protoToJSON .ProxyConfig) | printf "%q" }} }';

/** ISTIO_META_POD_PORTS: every declared container port, as a JSON list. */
export const POD_PORTS_ENV = [
  "- name: ISTIO_META_POD_PORTS",
  '  value: {{ $ports := list }}{{ range .Spec.Containers }}{{ range .Ports }}{{ $ports = append $ports (structToJSON .) }}{{ end }}{{ end }}{{ printf "%q" (printf "[%s]" (join "," $ports)) }}',
];

/** The proxy's identity and mesh env shared by every proxy-running template (list items). */
export function identityEnv(defaults: ProxyDefaults): string[] {
  return [
    "- { name: PILOT_CERT_PROVIDER, value: istiod }",
    `- { name: CA_ADDR, value: ${quoteString(defaults.caAddress)} }`,
    `- ${fieldEnv("POD_NAME", "metadata.name")}`,
    `- ${fieldEnv("POD_NAMESPACE", "metadata.namespace")}`,
    `- ${fieldEnv("INSTANCE_IP", "status.podIP")}`,
    `- ${fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName")}`,
    `- ${fieldEnv("HOST_IP", "status.hostIP")}`,
  ];
}

/** Workload name and owner (the Deployment, Job, ... istiod found above the pod). */
export function workloadEnv(nameExpr: string): string[] {
  return [
    `{{- with ${nameExpr} }}`,
    `- { name: ISTIO_META_WORKLOAD_NAME, value: ${quoted(".")} }`,
    "{{- end }}",
    "{{- if and .TypeMeta.APIVersion .DeploymentMeta.Name }}",
    `- { name: ISTIO_META_OWNER, value: ${quoted('(printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace "default") (toLower .TypeMeta.Kind) .DeploymentMeta.Name)')} }`,
    "{{- end }}",
  ];
}

/** Mesh ID and trust domain: the mesh config's trust domain (we set no separate mesh ID). */
export const TRUST_ENV = [
  "{{- with .MeshConfig.TrustDomain }}",
  `- { name: ISTIO_META_MESH_ID, value: ${quoted(".")} }`,
  `- { name: TRUST_DOMAIN, value: ${quoted(".")} }`,
  "{{- end }}",
];

/** The pod's proxyMetadata (mesh defaultConfig merged with its proxy.istio.io/config) as env. */
export const PROXY_METADATA_ENV = [
  "{{- range $key, $value := .ProxyConfig.ProxyMetadata }}",
  `- { name: ${quoted("$key")}, value: ${quoted("$value")} }`,
  "{{- end }}",
];

/** A FIPS-style compliance policy istiod was started with reaches the proxy too. */
export const COMPLIANCE_ENV = [
  "{{- with .CompliancePolicy }}",
  `- { name: COMPLIANCE_POLICY, value: ${quoted(".")} }`,
  '{{- if eq . "fips-140-3" }}',
  '- { name: GODEBUG, value: "fips140=only" }',
  "{{- end }}",
  "{{- end }}",
];

/** The image: a full image reference in sidecar.istio.io/proxyImage, else istiod's. */
export function imageExpr(istiodImage: string): string {
  const key = "sidecar.istio.io/proxyImage";
  return `(ternary ${annotationValue(key)} ${istiodImage} (contains "/" ${annotationOr(key, '"proxyv2"')}))`;
}

/** The pod's sidecar.istio.io/userVolume(Mount) JSON maps, as list items named by their keys. */
export function userEntries(annotationKey: string, indent: string): string[] {
  return [
    `{{- if ${hasAnnotation(annotationKey)} }}`,
    `{{- range $name, $entry := fromJSON ${annotationValue(annotationKey)} }}`,
    // A JSON object with its name set is a YAML flow mapping.
    `${indent}- {{ toJson (set $entry "name" $name) }}`,
    "{{- end }}",
    "{{- end }}",
  ];
}

/** Lines of a template joined, with `indent` put before every line that is not an action. */
export function indentLines(lines: string[], indent: string): string[] {
  return lines.map((l) => (l.startsWith("{{-") ? l : indent + l));
}
