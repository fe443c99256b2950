/**
 * One small example per Istio kind the bundle carries. OLM shows `alm-examples` as the
 * starting point of "Create" in the console, and the bundle validator expects one per
 * owned API; these kinds are marked internal objects, so they stay out of the way.
 * Each spec is the smallest meaningful one; a unit test checks the kinds match crds/.
 */
type Example = Record<string, unknown> & { apiVersion: string; kind: string };

function example(apiVersion: string, kind: string, name: string, spec: object): Example {
  return { apiVersion, kind, metadata: { name, namespace: "istio-system" }, spec };
}

const SELECTOR = { matchLabels: { app: "example" } };

export const ISTIO_EXAMPLES: readonly Example[] = [
  example("extensions.istio.io/v1alpha1", "TrafficExtension", "example", {
    selector: SELECTOR,
    phase: "AUTHN",
    lua: { inlineCode: "function envoy_on_request(handle) end" },
  }),
  example("extensions.istio.io/v1alpha1", "WasmPlugin", "example", {
    selector: SELECTOR,
    url: "oci://registry.example.com/wasm/example:1.0",
    phase: "AUTHN",
  }),
  example("networking.istio.io/v1", "DestinationRule", "example", {
    host: "example.default.svc.cluster.local",
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
  }),
  example("networking.istio.io/v1alpha3", "EnvoyFilter", "example", {
    workloadSelector: { labels: { app: "example" } },
    configPatches: [],
  }),
  example("networking.istio.io/v1", "Gateway", "example", {
    selector: { istio: "ingressgateway" },
    servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
  }),
  example("networking.istio.io/v1beta1", "ProxyConfig", "example", {
    concurrency: 2,
  }),
  example("networking.istio.io/v1", "ServiceEntry", "example", {
    hosts: ["api.example.com"],
    ports: [{ number: 443, name: "https", protocol: "TLS" }],
    resolution: "DNS",
    location: "MESH_EXTERNAL",
  }),
  example("networking.istio.io/v1", "Sidecar", "default", {
    egress: [{ hosts: ["./*", "istio-system/*"] }],
  }),
  example("networking.istio.io/v1", "VirtualService", "example", {
    hosts: ["example.default.svc.cluster.local"],
    http: [{ route: [{ destination: { host: "example.default.svc.cluster.local" } }] }],
  }),
  example("networking.istio.io/v1", "WorkloadEntry", "example", {
    address: "10.0.0.10",
    labels: { app: "example" },
  }),
  example("networking.istio.io/v1", "WorkloadGroup", "example", {
    metadata: { labels: { app: "example" } },
    template: { serviceAccount: "example" },
  }),
  example("security.istio.io/v1", "AuthorizationPolicy", "allow-nothing", {}),
  example("security.istio.io/v1", "PeerAuthentication", "default", {
    mtls: { mode: "STRICT" },
  }),
  example("security.istio.io/v1", "RequestAuthentication", "example", {
    selector: SELECTOR,
    jwtRules: [{ issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks" }],
  }),
  example("telemetry.istio.io/v1", "Telemetry", "mesh-default", {
    accessLogging: [{ providers: [{ name: "envoy" }] }],
  }),
];
