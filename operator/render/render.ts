/**
 * render(spec) -> the ordered Kubernetes objects of the whole mesh. Pure: no cluster, no
 * clock, no randomness, so the same spec always gives the same bytes. Components render in
 * apply order (namespaces, Istio CRDs, istiod, injector, gateways, policies); the labels that mark an
 * object as ours are added here, in code, so no template can forget them.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import * as contexts from "./contexts.ts";
import { resolve, type EffectiveConfig } from "./effective-config.ts";
import { istioCrdObjects } from "./istio-crds.ts";
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
  // "base" is Istio's generated CRDs, not templates.
  loaded ??= new Map(COMPONENTS.filter((c) => c !== "base").map((c) => [c, loadComponent(c)]));
  return loaded;
}

function renderAll(component: Component, context: object): RenderedObject[] {
  const compiled = templates().get(component) ?? [];
  return compiled
    .flatMap((t) => renderTemplate(t, context))
    .map((object) => ({ component, object }));
}

function withOurLabels({ component, object }: RenderedObject): RenderedObject {
  const labels = {
    ...object.metadata.labels,
    ...MANAGED_BY,
    [COMPONENT_LABEL]: component,
    [MESH_LABEL]: "default",
  };
  return { component, object: { ...object, metadata: { ...object.metadata, labels } } };
}

export function renderEffective(mesh: EffectiveConfig): RenderedObject[] {
  const rendered = [
    ...renderAll("namespaces", contexts.namespacesContext(mesh)),
    ...istioCrdObjects().map((object) => ({ component: "base" as const, object })),
    ...renderAll("istiod", contexts.istiodContext(mesh)),
    ...renderAll("injector", contexts.injectorContext(mesh)),
    ...mesh.gateways.flatMap((gateway) =>
      renderAll("gateway", contexts.gatewayContext(mesh, gateway)),
    ),
    ...renderAll("policies", contexts.policiesContext(mesh)),
  ];
  return rendered.map(withOurLabels);
}

/** Resolves and renders a validated spec. Throws UnsupportedVersionError for unknown versions. */
export function render(spec: MeshConfigSpec): RenderedObject[] {
  return renderEffective(resolve(spec));
}
