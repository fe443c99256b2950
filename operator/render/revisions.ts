/**
 * The mesh as a set of control-plane revisions (pure). InPlace: one revision, rendered as
 * it always was. RevisionBased: every revision that should exist (the one of spec.version,
 * and the old ones still in use or in their grace period: reconcile/revision-plan.ts
 * decides) renders its own istiod, injector webhook and validator, each with its own
 * version; the `default` revision tag (tag webhook + istiod-default-validator) points at
 * one of them, and the gateways follow the tag. What is shared (namespaces, CRDs, the
 * reader, the node agents, policies) renders once, from the revision of spec.version.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { revisionBasedName } from "../api/update-strategy.ts";
import { resolve, type EffectiveConfig } from "./effective-config.ts";
import { renderComponent, renderEffective, type Owner, type RenderedObject } from "./render.ts";

/** Label of the istiod Deployment naming the Istio version it runs: the live revisions' version. */
export const VERSION_LABEL = "meshkeeper.dev/istio-version";
export const REVISION_LABEL = "istio.io/rev";
export const TAG_LABEL = "istio.io/tag";
/** The one tag Meshkeeper manages: what istio-injection=enabled namespaces follow. */
export const DEFAULT_TAG = "default";
/** The revision name of an unrevisioned control plane (Istio's). */
export const DEFAULT_REVISION = "default";

export interface RevisionRef {
  readonly name: string;
  readonly version: string;
}

/** Which revisions to render and where the default tag points (RevisionBased only). */
export interface RevisionSet {
  /** The revision of spec.version first, then the old ones. */
  readonly revisions: readonly RevisionRef[];
  readonly tag: string;
}

/** The revision spec.version runs as: InPlace keeps spec.revision, RevisionBased derives one. */
export function activeRevision(spec: MeshConfigSpec): RevisionRef {
  const name =
    spec.updateStrategy.type === "RevisionBased"
      ? revisionBasedName(spec.revision, spec.version)
      : spec.revision || DEFAULT_REVISION;
  return { name, version: spec.version };
}

/** The spec one revision renders from: the user's, with that revision's name and version. */
function specOf(spec: MeshConfigSpec, revision: RevisionRef): MeshConfigSpec {
  const named: MeshConfigSpec = { ...spec, version: revision.version };
  if (revision.name !== DEFAULT_REVISION) return { ...named, revision: revision.name };
  delete named.revision;
  return named;
}

const PER_REVISION = new Set<string>(["istiod", "injector"]);

function identity({ object }: RenderedObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

function relabelled(r: RenderedObject, change: (labels: Record<string, string>) => void) {
  const labels = { ...r.object.metadata.labels };
  change(labels);
  return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, labels } } };
}

/** The istiod Deployment says which version it runs, so the next reconcile can read it back. */
function withVersionLabel(r: RenderedObject, version: string): RenderedObject {
  if (r.component !== "istiod" || r.object.kind !== "Deployment") return r;
  return relabelled(r, (labels) => {
    labels[VERSION_LABEL] = version;
  });
}

/**
 * An unrevisioned revision kept from InPlace days leaves injection by istio-injection and
 * the default validator to the tag (istioctl deactivates them the same way when it sets
 * the default tag), or both webhooks would answer for the same pods.
 */
function revisionScoped(rendered: readonly RenderedObject[], revision: RevisionRef) {
  return rendered.filter(
    (r) =>
      PER_REVISION.has(r.component) &&
      !(
        revision.name === DEFAULT_REVISION &&
        (r.object.kind === "MutatingWebhookConfiguration" ||
          r.object.metadata.name === "istiod-default-validator")
      ),
  );
}

type Expression = { key: string; operator: string; values?: string[] };

/** The tag webhook's entries, as istioctl's revision-tags template writes them for `default`. */
function tagWebhooks(tagged: EffectiveConfig) {
  const notDisabled: Expression = {
    key: "sidecar.istio.io/inject",
    operator: "NotIn",
    values: ["false"],
  };
  const noInjectionLabel: Expression = { key: "istio-injection", operator: "DoesNotExist" };
  const noRevLabel: Expression = { key: REVISION_LABEL, operator: "DoesNotExist" };
  const byTag: Expression = { key: REVISION_LABEL, operator: "In", values: [DEFAULT_TAG] };
  const byNamespace = [
    {
      name: "rev.namespace.sidecar-injector.istio.io",
      namespaceSelector: [byTag, noInjectionLabel],
      objectSelector: [notDisabled],
    },
    {
      name: "namespace.sidecar-injector.istio.io",
      namespaceSelector: [{ key: "istio-injection", operator: "In", values: ["enabled"] }],
      objectSelector: [notDisabled],
    },
  ];
  const byObject = [
    {
      name: "rev.object.sidecar-injector.istio.io",
      namespaceSelector: [noRevLabel, noInjectionLabel],
      objectSelector: [notDisabled, byTag],
    },
    {
      name: "object.sidecar-injector.istio.io",
      namespaceSelector: [noInjectionLabel, noRevLabel],
      objectSelector: [
        { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
        noRevLabel,
      ],
    },
  ];
  // Without namespace injection only pods that ask for it (gateways) are injected.
  return tagged.spec.sidecarInjector.enabled ? [...byNamespace, ...byObject] : byObject;
}

export function tagContext(tagged: EffectiveConfig) {
  const suffix = tagged.namespace === "istio-system" ? "" : `-${tagged.namespace}`;
  return {
    mesh: tagged,
    tagWebhookName: `istio-revision-tag-${DEFAULT_TAG}${suffix}`,
    tagLabels: {
      app: "sidecar-injector",
      [TAG_LABEL]: DEFAULT_TAG,
      [REVISION_LABEL]: tagged.revisionLabel,
    },
    validatorLabels: { app: "istiod", istio: "istiod", [REVISION_LABEL]: tagged.revisionLabel },
    tagWebhooks: tagWebhooks(tagged),
  };
}

function renderRevisionBased(
  spec: MeshConfigSpec,
  set: RevisionSet,
  owner: Owner | undefined,
): RenderedObject[] {
  const [active] = set.revisions;
  if (!active) throw new Error("a revision set names at least the active revision");
  const meshes = new Map(set.revisions.map((r) => [r.name, resolve(specOf(spec, r))]));
  const renders = new Map([...meshes].map(([name, mesh]) => [name, renderEffective(mesh, owner)]));
  const main = renders.get(active.name) ?? [];
  // A tag on a revision not in the set cannot be rendered: it stays on the active one.
  const taggedName = meshes.has(set.tag) ? set.tag : active.name;
  const taggedMesh = meshes.get(taggedName);
  if (!taggedMesh) throw new Error("the active revision is always resolved");
  const tagged = renders.get(taggedName) ?? main;
  const shared = (keep: (r: RenderedObject) => boolean) => main.filter(keep);
  const seen = new Set<string>();
  const once = (objects: readonly RenderedObject[]) =>
    objects.filter((r) => {
      const key = identity(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return once([
    ...shared((r) => r.component === "namespaces" || r.component === "base"),
    ...set.revisions.flatMap((r) =>
      revisionScoped(renders.get(r.name) ?? [], r).map((o) => withVersionLabel(o, r.version)),
    ),
    ...renderComponent("revision-tag", tagContext(taggedMesh), owner),
    ...shared((r) => !["namespaces", "base", "gateway", "policies"].includes(r.component)).filter(
      (r) => !PER_REVISION.has(r.component),
    ),
    ...tagged.filter((r) => r.component === "gateway"),
    // Every revision's istiod must apply the mesh-wide policies, so they name none.
    ...shared((r) => r.component === "policies").map((r) =>
      relabelled(r, (labels) => {
        delete labels["istio.io/rev"];
      }),
    ),
  ]);
}

/**
 * The objects of the mesh. `set` is what the reconciler decided from the cluster; without
 * it (an offline render) RevisionBased renders the revision of spec.version, tagged.
 */
export function renderMesh(
  spec: MeshConfigSpec,
  set?: RevisionSet,
  owner?: Owner,
): RenderedObject[] {
  const active = activeRevision(spec);
  if (spec.updateStrategy.type !== "RevisionBased")
    return renderEffective(resolve(spec), owner).map((r) => withVersionLabel(r, spec.version));
  return renderRevisionBased(spec, set ?? { revisions: [active], tag: active.name }, owner);
}
