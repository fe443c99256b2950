/**
 * Which spec field a rendered object comes from, so a problem found in the rendered
 * objects is reported at the field a person must change (`spec.gateways[1]`), never as an
 * object name they never wrote.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { RenderedObject } from "./render.ts";

/** The ALLOW policy a gateway gets under DenyAll (templates/policies/20-authorization). */
export const gatewayPolicyName = (gateway: string) => `meshkeeper-allow-${gateway}`;

type Gateways = NonNullable<MeshConfigSpec["gateways"]>;

export interface Origin {
  /** The field path, e.g. spec.gateways[1] or spec.namespace. */
  readonly path: string;
  /** The gateway's index when the object belongs to a gateway. */
  readonly gateway?: number;
}

function gatewayIndex(gateways: Gateways, { object }: RenderedObject): number {
  const { name, namespace } = object.metadata;
  return gateways.findIndex(
    (g) => g.namespace === namespace && (g.name === name || gatewayPolicyName(g.name) === name),
  );
}

export function originOf(spec: MeshConfigSpec, rendered: RenderedObject): Origin {
  const gateways = spec.gateways ?? [];
  if (rendered.component === "gateway" || rendered.component === "policies") {
    const index = gatewayIndex(gateways, rendered);
    if (index >= 0) return { path: `spec.gateways[${index}]`, gateway: index };
  }
  if (rendered.component === "namespaces") {
    const index = gateways.findIndex((g) => g.namespace === rendered.object.metadata.name);
    if (rendered.object.metadata.name !== spec.namespace && index >= 0)
      return { path: `spec.gateways[${index}].namespace`, gateway: index };
  }
  // The control plane's objects are named after the namespace and the revision.
  return { path: spec.revision ? "spec.revision" : "spec.namespace" };
}

/** For messages: `Service istio-ingress/ingress`. */
export function describeObject({ object }: RenderedObject): string {
  const { namespace, name } = object.metadata;
  return `${object.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** Group, kind, namespace and name: what makes two objects one on the API server. */
export function identityOf({ object }: RenderedObject): string {
  const slash = object.apiVersion.indexOf("/");
  const group = slash === -1 ? "" : object.apiVersion.slice(0, slash);
  return `${group}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}
