/**
 * What the OLM bundle says about Meshkeeper that config/ does not: names, images,
 * catalog placement, the listing on OperatorHub. One place to change when the project
 * gets its real registry, website and maintainers (the values below are placeholders,
 * see docs/install.md).
 */
import { readFileSync } from "node:fs";

const packageJson = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as { version: string };

export const PACKAGE = "meshkeeper";
export const VERSION: string = packageJson.version;
export const CSV_NAME = `${PACKAGE}.v${VERSION}`;
export const CHANNEL = "stable";
/** Placeholder registry: replace with the real one before publishing (docs/install.md). */
export const BUNDLE_IMAGE = `quay.io/meshkeeper/meshkeeper-bundle:v${VERSION}`;
/** Istio's images for every supported version come from here (spec.hub's default). */
export const ISTIO_HUB = "docker.io/istio";
/** The oldest Kubernetes the supported Istio minors support. */
export const MIN_KUBE_VERSION = "1.31.0";
export const SUGGESTED_NAMESPACE = "meshkeeper-system";

export const LISTING = {
  displayName: "Meshkeeper",
  shortDescription:
    "Turns one MeshConfig resource into a complete, secure Istio service mesh, and reports what it did as status conditions.",
  capabilities: "Seamless Upgrades",
  categories: ["Networking", "Security"],
  keywords: ["istio", "service mesh", "mtls", "certificate authority", "gateway", "networking"],
  maintainers: [{ name: "Meshkeeper maintainers", email: "maintainers@meshkeeper.dev" }],
  provider: { name: "Meshkeeper", url: "https://meshkeeper.dev" },
  links: [
    { name: "Website", url: "https://meshkeeper.dev" },
    { name: "Documentation", url: "https://meshkeeper.dev/docs/install" },
  ],
  maturity: "alpha",
} as const;

/** The long description OperatorHub shows (markdown). */
export const DESCRIPTION = `Meshkeeper installs and runs an Istio service mesh from one cluster-scoped resource,
\`MeshConfig\` (a singleton named \`default\`): the control plane (istiod), the sidecar injector,
a certificate authority that is never lost or silently expired, ingress and egress gateways,
and a default security posture (mesh-wide mutual TLS; optional deny-by-default
authorization with the allow rules the gateways need).

## How it works

* Edit the \`MeshConfig\`; the operator renders the mesh and applies it in phases with
  server-side apply (CRDs, CA, RBAC and configuration, istiod, webhooks, policies,
  gateways), writes nothing when nothing changed, repairs drift and prunes what is no
  longer wanted.
* Status conditions (\`Ready\`, \`Reconciled\`, \`Reconciling\`, \`Stalled\`, and one per
  component) work with \`kubectl wait\`, Argo CD and kstatus.
* Deleting the \`MeshConfig\` tears the mesh down in order and keeps the CA.

## Before you start

Install in all namespaces (the only supported mode). The operator runs as two replicas with
leader election. Supported Istio versions are listed in the documentation; a version not
supported is reported as \`Stalled/UnsupportedVersion\` and nothing is changed.`;

/** Where the generated bundle and catalog live in the repository. */
export const BUNDLE_DIR = "olm/bundle";
export const CATALOG_DIR = "olm/catalog";

/** The opm release the catalog image is built on and CI validates with. */
export const OPM_VERSION = "v1.59.0";
