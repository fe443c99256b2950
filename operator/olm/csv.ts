/**
 * The ClusterServiceVersion, built (pure) from what the kustomize install already says:
 * the operator Deployment, its ServiceAccount and RBAC come from `kubectl kustomize
 * config/default`; the CRDs from the generators; the example from config/samples/.
 */
import { OWNED_KINDS } from "../reconcile/owned-kinds.ts";
import { SPEC_DESCRIPTORS, STATUS_DESCRIPTORS } from "./descriptors.ts";
import { iconBase64 } from "./icon.ts";
import type { ManifestObject } from "./kustomize.ts";
import {
  CSV_NAME,
  DESCRIPTION,
  LISTING,
  MIN_KUBE_VERSION,
  SUGGESTED_NAMESPACE,
  VERSION,
} from "./metadata.ts";

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface CrdObject {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; storage?: boolean; served?: boolean }[];
  };
}

export interface RelatedImage {
  readonly name: string;
  readonly image: string;
}

export interface CsvInputs {
  /** `kubectl kustomize config/default`, parsed. */
  readonly install: readonly ManifestObject[];
  readonly meshConfigCrd: CrdObject;
  readonly istioCrds: readonly CrdObject[];
  /** alm-examples: the MeshConfig sample first, then one per Istio kind. */
  readonly examples: readonly object[];
  readonly relatedImages: readonly RelatedImage[];
}

type DeploymentObject = ManifestObject & {
  spec: { template: { spec: { serviceAccountName: string; containers: { image: string; args?: string[] }[] } } };
};

function only(install: readonly ManifestObject[], kind: string): ManifestObject {
  const found = install.filter((o) => o.kind === kind);
  if (found.length !== 1)
    throw new Error(`config/default must render exactly one ${kind}, found ${found.length}`);
  return found[0] as ManifestObject;
}

/**
 * Writing CRDs is the operator's job only in the kustomize install. Under OLM the bundle
 * carries Istio's CRDs (owned, internal objects) and OLM installs and upgrades them, so
 * the CSV leaves out the rules that let the operator create or patch CRDs (reading them
 * stays: it waits for them to be Established).
 */
export function withoutCrdWrites(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.filter(
    (rule) =>
      !(
        rule.apiGroups?.includes("apiextensions.k8s.io") &&
        rule.verbs.some((verb) => verb === "create" || verb === "patch")
      ),
  );
}

/**
 * The version people write: a served GA version when there is one (Istio stores
 * Telemetry as v1alpha1 but documents and serves v1), else the stored one. The CSV's
 * examples use the same versions, and OLM wants each example to name an owned version.
 */
function preferredVersion(crd: CrdObject): string {
  const ga = crd.spec.versions.find((v) => v.served !== false && /^v\d+$/.test(v.name));
  return ga?.name ?? storageVersion(crd);
}

function storageVersion(crd: CrdObject): string {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  if (!version) throw new Error(`CRD ${crd.metadata.name} has no versions`);
  return version.name;
}

/**
 * What a MeshConfig creates (the console's Resources tab): every kind the operator owns,
 * the CA Secret and the Events it records. Listing them also tells the bundle validator
 * that RBAC rules on autoscaling, policy and events.k8s.io are for the current API
 * versions (it otherwise warns that those groups once had versions removed in 1.25).
 */
function createdResources() {
  const kinds = [
    ...OWNED_KINDS,
    { apiVersion: "v1", kind: "Secret" },
    { apiVersion: "events.k8s.io/v1", kind: "Event" },
  ];
  return kinds.map(({ apiVersion, kind }) => ({
    kind,
    name: "",
    version: apiVersion.split("/").at(-1) ?? apiVersion,
  }));
}

function ownedCrds(inputs: CsvInputs) {
  const mesh = inputs.meshConfigCrd;
  return [
    {
      name: mesh.metadata.name,
      version: storageVersion(mesh),
      kind: mesh.spec.names.kind,
      displayName: "Mesh Config",
      description: "The Istio service mesh of the cluster: a singleton named default.",
      specDescriptors: SPEC_DESCRIPTORS,
      statusDescriptors: STATUS_DESCRIPTORS,
      resources: createdResources(),
    },
    ...inputs.istioCrds.map((crd) => ({
      name: crd.metadata.name,
      version: preferredVersion(crd),
      kind: crd.spec.names.kind,
      displayName: `Istio ${crd.spec.names.kind}`,
      description: `Istio's ${crd.spec.names.kind} (${crd.spec.group}), installed for the mesh's control plane.`,
    })),
  ];
}

/** Under OLM the operator only waits for Istio's CRDs (see withoutCrdWrites). */
function withExternalIstioCrds(spec: DeploymentObject["spec"]): DeploymentObject["spec"] {
  const [container, ...rest] = spec.template.spec.containers;
  if (!container) return spec;
  const args = [...(container.args ?? []), "--istio-crds=external"];
  return {
    ...spec,
    template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...container, args }, ...rest] } },
  };
}

function installStrategy(install: readonly ManifestObject[]) {
  const deployment = only(install, "Deployment") as DeploymentObject;
  const serviceAccountName = deployment.spec.template.spec.serviceAccountName;
  const clusterRole = only(install, "ClusterRole") as ManifestObject & { rules: PolicyRule[] };
  const role = only(install, "Role") as ManifestObject & { rules: PolicyRule[] };
  return {
    strategy: "deployment",
    spec: {
      deployments: [
        {
          name: deployment.metadata.name,
          label: deployment.metadata.labels ?? {},
          spec: withExternalIstioCrds(deployment.spec),
        },
      ],
      clusterPermissions: [{ serviceAccountName, rules: withoutCrdWrites(clusterRole.rules) }],
      permissions: [{ serviceAccountName, rules: role.rules }],
    },
  };
}

export function operatorImage(install: readonly ManifestObject[]): string {
  const deployment = only(install, "Deployment") as DeploymentObject;
  const image = deployment.spec.template.spec.containers[0]?.image;
  if (!image) throw new Error("the operator Deployment has no container image");
  return image;
}

export function clusterServiceVersion(inputs: CsvInputs): Record<string, unknown> {
  return {
    apiVersion: "operators.coreos.com/v1alpha1",
    kind: "ClusterServiceVersion",
    metadata: {
      name: CSV_NAME,
      namespace: "placeholder",
      annotations: {
        "alm-examples": JSON.stringify(inputs.examples, null, 2),
        capabilities: LISTING.capabilities,
        categories: LISTING.categories.join(","),
        containerImage: operatorImage(inputs.install),
        description: LISTING.shortDescription,
        "operatorframework.io/suggested-namespace": SUGGESTED_NAMESPACE,
        "operators.operatorframework.io/internal-objects": JSON.stringify(
          inputs.istioCrds.map((crd) => crd.metadata.name),
        ),
        support: LISTING.provider.name,
      },
    },
    spec: {
      displayName: LISTING.displayName,
      description: DESCRIPTION,
      version: VERSION,
      minKubeVersion: MIN_KUBE_VERSION,
      maturity: LISTING.maturity,
      keywords: LISTING.keywords,
      maintainers: LISTING.maintainers,
      provider: LISTING.provider,
      links: LISTING.links,
      icon: [{ base64data: iconBase64(), mediatype: "image/svg+xml" }],
      installModes: [
        { type: "OwnNamespace", supported: false },
        { type: "SingleNamespace", supported: false },
        { type: "MultiNamespace", supported: false },
        { type: "AllNamespaces", supported: true },
      ],
      install: installStrategy(inputs.install),
      customresourcedefinitions: { owned: ownedCrds(inputs) },
      relatedImages: inputs.relatedImages,
    },
  };
}
