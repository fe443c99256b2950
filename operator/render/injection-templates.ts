/**
 * The injection templates istiod applies to pods: Go text/template sources that istiod
 * evaluates per pod (with .ObjectMeta, .Spec, .ProxyImage, .ProxyConfig, .MeshConfig,
 * .DeploymentMeta, .NativeSidecars...), producing the pod changes as YAML. They are
 * written in TypeScript, not in templates/, because their `{{ }}` belongs to Go's template
 * language, not ours; the values we decide (resources, log levels, addresses) are baked in
 * and a pod's annotations override them where Istio lets a pod do so.
 *
 * This file holds the gateway and the proxyless gRPC templates; the sidecar template is
 * in injection-sidecar.ts, the shared vocabulary in injection-go.ts.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import {
  annotationOr,
  APP_CONTAINERS_VAR,
  CANONICAL_NAME,
  CANONICAL_REVISION,
  COMPLIANCE_ENV,
  defaultContainerAnnotations,
  fieldEnv,
  goString,
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
import { sidecarTemplate } from "./injection-sidecar.ts";
import {
  bootstrapVolume,
  item,
  mount,
  PROXY_VOLUMES,
  PROXY_VOLUMES_AFTER_BOOTSTRAP,
} from "./injection-volumes.ts";
import { kubeGatewayTemplate } from "./injection-kube-gateway.ts";
import { waypointTemplate } from "./injection-waypoint.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";

export { sidecarTemplate };

/** The templates a pod may name in inject.istio.io/templates, by name. */
export function injectionTemplates(mesh: EffectiveConfig): Record<string, string> {
  return {
    sidecar: sidecarTemplate(mesh),
    gateway: gatewayTemplate(mesh),
    "grpc-agent": grpcAgentTemplate(mesh),
    "grpc-simple": grpcSimpleTemplate(mesh),
    // Gateway API Gateways of class istio, deployed by istiod's deployment controller.
    ...(mesh.gatewayAPI.enabled ? { "kube-gateway": kubeGatewayTemplate(mesh) } : {}),
    // Ambient's L7 proxies, deployed by istiod for Gateways of class istio-waypoint.
    ...(mesh.ambient ? { waypoint: waypointTemplate(mesh) } : {}),
  };
}

function metadata(mesh: EffectiveConfig, extraAnnotations: string[] = []): string[] {
  return [
    ...APP_CONTAINERS_VAR,
    "metadata:",
    "  labels:",
    `    service.istio.io/canonical-name: ${quoted(CANONICAL_NAME)}`,
    `    service.istio.io/canonical-revision: ${quoted(CANONICAL_REVISION)}`,
    "  annotations:",
    `    istio.io/rev: ${quoteString(mesh.revisionLabel)}`,
    ...defaultContainerAnnotations("    "),
    ...extraAnnotations,
  ];
}

function logArgs(d: ProxyDefaults, role: "sidecar" | "router"): string {
  const flag = (name: string, key: string, fallback: string) =>
    `{{ printf "--${name}=%s" ${annotationOr(key, goString(fallback))} | printf "%q" }}`;
  return [
    `[proxy, ${role}, --domain, $(POD_NAMESPACE).svc.cluster.local`,
    flag("proxyLogLevel", "sidecar.istio.io/logLevel", d.logLevel),
    flag("proxyComponentLogLevel", "sidecar.istio.io/componentLogLevel", d.componentLogLevel),
    `${flag("log_output_level", "sidecar.istio.io/agentLogLevel", d.agentLogLevel)}]`,
  ].join(", ");
}

function gatewayEnv(d: ProxyDefaults): string[] {
  return [
    ...identityEnv(d),
    `- ${resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu")}`,
    PROXY_CONFIG_ENV,
    ...POD_PORTS_ENV,
    `- ${resourceEnv("GOMEMLIMIT", "limits.memory")}`,
    `- ${resourceEnv("GOMAXPROCS", "limits.cpu")}`,
    ...COMPLIANCE_ENV,
    `- { name: ISTIO_META_APP_CONTAINERS, value: ${quoted('(join "," $apps)')} }`,
    "- { name: ISTIO_META_CLUSTER_ID, value: Kubernetes }",
    `- ${fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName")}`,
    `- { name: ISTIO_META_INTERCEPTION_MODE, value: ${quoted(".ProxyConfig.InterceptionMode.String")} }`,
    ...workloadEnv(".DeploymentMeta.Name"),
    '{{- if isset .ObjectMeta.Annotations "sidecar.istio.io/bootstrapOverride" }}',
    "- { name: ISTIO_BOOTSTRAP_OVERRIDE, value: /etc/istio/custom-bootstrap/custom_bootstrap.json }",
    "{{- end }}",
    ...TRUST_ENV,
    ...PROXY_METADATA_ENV,
  ];
}

/**
 * Gateways: the proxy as a router. The gateway Deployment's own `istio-proxy` container
 * (image `auto`, its resources and security context) is merged over this by istiod.
 */
export function gatewayTemplate(mesh: EffectiveConfig): string {
  const d = proxyDefaults(mesh);
  const ready = {
    httpGet: { path: "/healthz/ready", port: 15021 },
    initialDelaySeconds: 0,
    periodSeconds: 15,
    timeoutSeconds: 3,
    failureThreshold: 4,
  };
  const container = [
    "- name: istio-proxy",
    `  image: ${quoted(imageExpr(".ProxyImage"))}`,
    `  ports: ${flowValue([{ containerPort: 15090, protocol: "TCP", name: "http-envoy-prom" }])}`,
    `  args: ${logArgs(d, "router")}`,
    '  securityContext: { runAsUser: {{ .ProxyUID | default "1337" }}, runAsGroup: {{ .ProxyGID | default "1337" }} }',
    "  env:",
    ...indentLines(gatewayEnv(d), "  "),
    `  readinessProbe: ${flowValue(ready)}`,
    "  volumeMounts:",
    ...indentLines(
      [
        mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
        mount("credential-socket", "/var/run/secrets/credential-uds"),
        mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"),
        mount("istiod-ca-cert", "/var/run/secrets/istio"),
        mount("istio-data", "/var/lib/istio/data"),
        '{{- if isset .ObjectMeta.Annotations "sidecar.istio.io/bootstrapOverride" }}',
        mount("custom-bootstrap-volume", "/etc/istio/custom-bootstrap"),
        "{{- end }}",
        mount("istio-envoy", "/etc/istio/proxy"),
        mount("istio-token", "/var/run/secrets/tokens"),
        mount("istio-podinfo", "/etc/istio/pod"),
      ],
      "  ",
    ),
  ];
  return [
    ...metadata(mesh),
    "spec:",
    // Lets the non-root proxy listen on 80 and 443.
    `  securityContext: ${flowValue({ sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] })}`,
    "  containers:",
    ...indentLines(container, "  "),
    "  volumes:",
    ...indentLines(
      [
        ...PROXY_VOLUMES.map(item),
        ...bootstrapVolume(),
        ...PROXY_VOLUMES_AFTER_BOOTSTRAP.map(item),
      ],
      "  ",
    ),
    "",
  ].join("\n");
}

const NO_PROBE_REWRITE = '    sidecar.istio.io/rewriteAppHTTPProbers: "false"';

/**
 * Proxyless gRPC with the agent: pilot-agent runs without Envoy (DISABLE_ENVOY) and serves
 * the application's gRPC library its xDS bootstrap and certificates over a shared volume.
 */
export function grpcAgentTemplate(mesh: EffectiveConfig): string {
  const d = proxyDefaults(mesh);
  const env = [
    "- { name: ISTIO_META_GENERATOR, value: grpc }",
    "- { name: OUTPUT_CERTS, value: /var/lib/istio/data }",
    '{{- if eq .InboundTrafficPolicyMode "localhost" }}',
    '- { name: REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION, value: "true" }',
    "{{- end }}",
    ...identityEnv(d),
    PROXY_CONFIG_ENV,
    ...POD_PORTS_ENV,
    `- { name: ISTIO_META_APP_CONTAINERS, value: ${quoted('(join "," $apps)')} }`,
    "- { name: ISTIO_META_CLUSTER_ID, value: Kubernetes }",
    `- ${fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName")}`,
    ...workloadEnv(".DeploymentMeta.Name"),
    ...TRUST_ENV,
    ...PROXY_METADATA_ENV,
    // gRPC resolves xds:/// names itself: no DNS capture, no Envoy.
    '- { name: ISTIO_META_DNS_CAPTURE, value: "false" }',
    '- { name: DISABLE_ENVOY, value: "true" }',
  ];
  const timing = (key: string, fallback: string) =>
    `{{ ${annotationOr(`readiness.status.sidecar.istio.io/${key}`, goString(fallback))} }}`;
  const agent = [
    "- name: istio-proxy",
    `  image: ${quoted(imageExpr(".ProxyImage"))}`,
    `  ports: ${flowValue([{ containerPort: 15020, protocol: "TCP", name: "mesh-metrics" }])}`,
    `  args: ${logArgs(d, "sidecar")}`,
    `  lifecycle: ${flowValue({ postStart: { exec: { command: ["pilot-agent", "wait", "--url=http://localhost:15020/healthz/ready"] } } })}`,
    "  env:",
    ...indentLines(env, "  "),
    // As in Istio's template, status port 0 leaves the agent without probe, resources and mounts.
    `{{- if ne ${annotationOr("status.sidecar.istio.io/port", goString(d.statusPort))} "0" }}`,
    "  readinessProbe:",
    `    httpGet: ${flowValue({ path: "/healthz/ready", port: 15020 })}`,
    `    initialDelaySeconds: ${timing("initialDelaySeconds", "0")}`,
    `    periodSeconds: ${timing("periodSeconds", "15")}`,
    "    timeoutSeconds: 3",
    `    failureThreshold: ${timing("failureThreshold", "4")}`,
    "  resources:",
    ...resourcesBlock(d, "    "),
    "  volumeMounts:",
    ...indentLines(
      [
        mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
        mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"),
        mount("istiod-ca-cert", "/var/run/secrets/istio"),
        mount("istio-data", "/var/lib/istio/data"),
        mount("istio-xds", "/etc/istio/proxy"),
        mount("istio-token", "/var/run/secrets/tokens"),
        mount("istio-podinfo", "/etc/istio/pod"),
      ],
      "  ",
    ),
    "{{- end }}",
    ...indentLines(userEntries("sidecar.istio.io/userVolumeMount", ""), "  "),
  ];
  // Every application container reads the agent's bootstrap and certificates.
  const apps = [
    '{{- range .Spec.Containers }}{{ if ne .Name "istio-proxy" }}',
    `- name: ${quoted(".Name")}`,
    "  env:",
    '  - { name: GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT, value: "true" }',
    "  - { name: GRPC_XDS_BOOTSTRAP, value: /etc/istio/proxy/grpc-bootstrap.json }",
    "  volumeMounts:",
    `  ${mount("istio-data", "/var/lib/istio/data")}`,
    `  ${mount("istio-xds", "/etc/istio/proxy")}`,
    `  ${mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials")}`,
    "{{- end }}{{ end }}",
  ];
  const volumes = [
    item({ name: "workload-socket", emptyDir: {} }),
    item({ name: "workload-certs", emptyDir: {} }),
    ...bootstrapVolume(),
    item({ name: "istio-xds", emptyDir: { medium: "Memory" } }),
    ...PROXY_VOLUMES_AFTER_BOOTSTRAP.filter((v) => v.name !== "istio-envoy").map(item),
    ...userEntries("sidecar.istio.io/userVolume", ""),
  ];
  return [
    ...metadata(mesh, [NO_PROBE_REWRITE]),
    "spec:",
    "  containers:",
    ...indentLines(agent, "  "),
    ...indentLines(apps, "  "),
    "  volumes:",
    ...indentLines(volumes, "  "),
    "",
  ].join("\n");
}

/**
 * Proxyless gRPC without an agent: an init container writes a plaintext xDS bootstrap
 * pointing at istiod's 15010, and every application container is told where it is.
 */
export function grpcSimpleTemplate(mesh: EffectiveConfig): string {
  const bootstrap = {
    xds_servers: [
      {
        server_uri: `dns:///${mesh.names.istiod}.\${ISTIO_NAMESPACE}.svc:15010`,
        channel_creds: [{ type: "insecure" }],
        server_features: ["xds_v3"],
      },
    ],
    node: {
      id: "sidecar~${INSTANCE_IP}~${POD_NAME}.${POD_NAMESPACE}~cluster.local",
      metadata: { GENERATOR: "grpc" },
    },
  };
  // A here-document: the shell expands the ${...} from the env below.
  const script = `cat > /var/lib/grpc/data/bootstrap.json <<EOF\n${JSON.stringify(bootstrap, null, 2)}\nEOF`;
  const init = {
    name: "grpc-bootstrap-init",
    image: "busybox:1.28",
    volumeMounts: [{ mountPath: "/var/lib/grpc/data/", name: "grpc-io-proxyless-bootstrap" }],
    env: [
      { name: "INSTANCE_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "ISTIO_NAMESPACE", value: mesh.namespace },
    ],
    command: ["sh", "-c", script],
  };
  return [
    "metadata:",
    "  annotations:",
    NO_PROBE_REWRITE,
    "spec:",
    `  initContainers: [${flowValue(init)}]`,
    "  containers:",
    "{{- range .Spec.Containers }}",
    `  - name: ${quoted(".Name")}`,
    "    env:",
    "    - { name: GRPC_XDS_BOOTSTRAP, value: /var/lib/grpc/data/bootstrap.json }",
    '    - { name: GRPC_GO_LOG_VERBOSITY_LEVEL, value: "99" }',
    "    - { name: GRPC_GO_LOG_SEVERITY_LEVEL, value: info }",
    `    volumeMounts: [{ mountPath: /var/lib/grpc/data/, name: grpc-io-proxyless-bootstrap }]`,
    "{{- end }}",
    "  volumes: [{ name: grpc-io-proxyless-bootstrap, emptyDir: {} }]",
    "",
  ].join("\n");
}
