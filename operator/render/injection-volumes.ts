/**
 * The proxy's volumes and their mounts, shared by the templates that run a proxy (sidecar,
 * gateway, grpc-agent, kube-gateway, waypoint): the agent's sockets, its istio-ca token,
 * the mesh root, the pod's own labels and annotations. Each is a YAML flow list item.
 */
import { annotationValue, hasAnnotation, quoted } from "./injection-go.ts";
import { flowValue } from "./yaml-scalars.ts";

export const item = (v: object) => `- ${flowValue(v)}`;
export const mount = (name: string, mountPath: string) => item({ name, mountPath });

/** The pod annotation naming a ConfigMap with a custom Envoy bootstrap. */
export const BOOTSTRAP = "sidecar.istio.io/bootstrapOverride";

const TOKEN = { path: "istio-token", expirationSeconds: 43200, audience: "istio-ca" };

/** The projected istio-ca token the agent authenticates to istiod with (keys in `token`'s order). */
export function tokenVolume(token: object = TOKEN) {
  return { name: "istio-token", projected: { sources: [{ serviceAccountToken: token }] } };
}

export const PODINFO_VOLUME = {
  name: "istio-podinfo",
  downwardAPI: {
    items: [
      { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
      { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
    ],
  },
};
export const CA_ROOT_VOLUME = { name: "istiod-ca-cert", configMap: { name: "istio-ca-root-cert" } };
export const ENVOY_VOLUME = { name: "istio-envoy", emptyDir: { medium: "Memory" } };
export const DATA_VOLUME = { name: "istio-data", emptyDir: {} };

/** Volumes of the proxy: sockets, its token, the mesh root and CRL, the pod's own info. */
export const PROXY_VOLUMES = [
  { name: "workload-socket", emptyDir: {} },
  { name: "credential-socket", emptyDir: {} },
  { name: "workload-certs", emptyDir: {} },
];
export const PROXY_VOLUMES_AFTER_BOOTSTRAP = [
  ENVOY_VOLUME,
  DATA_VOLUME,
  PODINFO_VOLUME,
  tokenVolume(),
  CA_ROOT_VOLUME,
];

export function bootstrapVolume(): string[] {
  return [
    `{{- if ${hasAnnotation(BOOTSTRAP)} }}`,
    `- { name: custom-bootstrap-volume, configMap: { name: ${quoted(annotationValue(BOOTSTRAP))} } }`,
    "{{- end }}",
  ];
}

export interface MountChoice {
  /** Only the workload socket (a waypoint), or the credential socket and certificates too. */
  sockets?: "workload" | "all";
  /** The optional revocation list (sidecars). */
  crl?: boolean;
  /** The custom bootstrap, when the pod names one (sidecars and injected gateways). */
  bootstrap?: boolean;
}

/** The proxy container's mounts of the volumes above, in Istio's order. */
export function proxyMounts(choice: MountChoice = {}): string[] {
  const { sockets = "all", crl = false, bootstrap = false } = choice;
  return [
    mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
    ...(sockets === "all"
      ? [
          mount("credential-socket", "/var/run/secrets/credential-uds"),
          mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"),
        ]
      : []),
    mount("istiod-ca-cert", "/var/run/secrets/istio"),
    ...(crl ? [mount("istio-ca-crl", "/var/run/secrets/istio/crl")] : []),
    mount("istio-data", "/var/lib/istio/data"),
    ...(bootstrap
      ? [
          `{{- if ${hasAnnotation(BOOTSTRAP)} }}`,
          mount("custom-bootstrap-volume", "/etc/istio/custom-bootstrap"),
          "{{- end }}",
        ]
      : []),
    mount("istio-envoy", "/etc/istio/proxy"),
    mount("istio-token", "/var/run/secrets/tokens"),
    mount("istio-podinfo", "/etc/istio/pod"),
  ];
}
