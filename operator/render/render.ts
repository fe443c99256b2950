/**
 * render(spec) -> the ordered Kubernetes objects of the whole mesh. Pure: no cluster, no
 * clock, no randomness, so the same spec always gives the same bytes. Components render in
 * apply order (namespaces, Istio CRDs, istiod, injector, gateways, policies); the labels that mark an
 * object as ours are added here, in code, so no template can forget them.
 */
import { API_VERSION, KIND } from "../api/distribution.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { cniContext, ztunnelContext } from "./ambient-contexts.ts";
import * as contexts from "./contexts.ts";
import { resolve, type EffectiveConfig } from "./effective-config.ts";
import { gatewayApiCrdObjects } from "./gateway-api-crds.ts";
import { istioCrdObjectsFor } from "./istio-crds.ts";
import {
  loadComponent,
  renderTemplate,
  type CompiledTemplate,
  type KubernetesObject,
} from "./template-engine.ts";

export const COMPONENTS = [
  "namespaces",
  "base",
  "istiod",
  "injector",
  "revision-tag",
  "cni",
  "ztunnel",
  "gateway",
  "policies",
] as const;
export type Component = (typeof COMPONENTS)[number];

export const MANAGED_BY = { "app.kubernetes.io/managed-by": "meshkeeper" } as const;
export const MESH_LABEL = "meshkeeper.dev/mesh";
export const COMPONENT_LABEL = "app.kubernetes.io/component";

export interface RenderedObject {
  readonly component: Component;
  readonly object: KubernetesObject;
}

let loaded: ReadonlyMap<Component, CompiledTemplate[]> | undefined;

function templates(): ReadonlyMap<Component, CompiledTemplate[]> {
  loaded ??= new Map(COMPONENTS.map((c) => [c, loadComponent(c)]));
  return loaded;
}

function renderAll(component: Component, context: object): RenderedObject[] {
  const compiled = templates().get(component) ?? [];
  return compiled
    .flatMap((t) => renderTemplate(t, context))
    .map((object) => ({ component, object }));
}

/** The MeshConfig that owns the objects, as the reconciler knows it (render alone does not). */
export interface Owner {
  readonly name: string;
  readonly uid: string;
}

/**
 * Kinds that outlive a deleted MeshConfig and so carry no owner reference: Istio's CRDs
 * (every mesh's config lives in them) and namespaces (they hold the CA Secret, kept unless
 * the spec says otherwise). Garbage collection must never take them.
 */
const NOT_OWNED = new Set(["CustomResourceDefinition", "Namespace"]);

function ownerReference(owner: Owner) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function markedAsOurs(
  { component, object }: RenderedObject,
  owner: Owner | undefined,
): RenderedObject {
  const labels = {
    ...object.metadata.labels,
    ...MANAGED_BY,
    [COMPONENT_LABEL]: component,
    [MESH_LABEL]: "default",
  };
  const owned = owner !== undefined && !NOT_OWNED.has(object.kind);
  const ownerReferences = owned ? { ownerReferences: [ownerReference(owner)] } : {};
  return {
    component,
    object: { ...object, metadata: { ...object.metadata, labels, ...ownerReferences } },
  };
}

export function renderEffective(mesh: EffectiveConfig, owner?: Owner): RenderedObject[] {
  const rendered = [
    ...renderAll("namespaces", contexts.namespacesContext(mesh)),
    // The base component: the CRDs of this Istio minor, then the istio-reader identity.
    ...istioCrdObjectsFor(mesh.istio).map((object) => ({ component: "base" as const, object })),
    // The Gateway API's, unless istiod ignores it or the cluster provides them.
    ...managedGatewayApiCrds(mesh).map((object) => ({ component: "base" as const, object })),
    ...renderAll("base", contexts.baseContext(mesh)),
    ...renderAll("istiod", contexts.istiodContext(mesh)),
    ...renderAll("injector", contexts.injectorContext(mesh)),
    // The ambient data plane's node agents (spec.dataPlane.mode ambient or both).
    ...(mesh.ambient ? renderAll("cni", cniContext(mesh)) : []),
    ...(mesh.ambient ? renderAll("ztunnel", ztunnelContext(mesh)) : []),
    ...mesh.gateways.flatMap((gateway) =>
      renderAll("gateway", contexts.gatewayContext(mesh, gateway)),
    ),
    ...renderAll("policies", contexts.policiesContext(mesh)),
  ];
  return rendered.map((r) => markedAsOurs(r, owner));
}

function managedGatewayApiCrds(mesh: EffectiveConfig): readonly KubernetesObject[] {
  const { enabled, crds, version } = mesh.gatewayAPI;
  return enabled && crds === "Managed" ? gatewayApiCrdObjects(version) : [];
}

/** One component's templates with one context, marked as ours (revisions.ts renders by revision). */
export function renderComponent(
  component: Component,
  context: object,
  owner?: Owner,
): RenderedObject[] {
  return renderAll(component, context).map((r) => markedAsOurs(r, owner));
}

/** Resolves and renders a validated spec. Throws UnsupportedVersionError for unknown versions. */
export function render(spec: MeshConfigSpec, owner?: Owner): RenderedObject[] {
  return renderEffective(resolve(spec), owner);
}
