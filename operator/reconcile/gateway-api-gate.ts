/**
 * The Gateway API gate of one run (I/O: one read of the cluster's gateways CRD): the
 * rendered mesh as the cluster's Gateway API CRDs allow it (gateway-api-check.ts decides):
 * refused (Stalled/GatewayAPIVersionUnsupported), without our CRDs (the cluster's are
 * newer), or as rendered. The CRD comes from the cache when it is ours (Managed: applied
 * by us, labelled, so the CRD watch follows it), else from the API server (External, or a
 * newer one someone else installed, which the label-selected watch does not see): a no-op
 * reconcile of a Managed mesh sends no read for it.
 */
import type { RenderedObject } from "../render/render.ts";
import { RefusedReason } from "../api/conditions.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { ObjectReader, ObjectWriter } from "../kube/interfaces.ts";
import { lookupVersion } from "../render/istio-versions.ts";
import type { Desired } from "./desired.ts";
import {
  GATEWAY_API_GROUP,
  GATEWAY_CRD,
  gatewayApiRefusal,
  keepsNewerGatewayApi,
} from "./gateway-api-check.ts";
import type { IstioCrds } from "./post-render.ts";

/** How often a mesh stalled on the cluster's Gateway API CRDs looks at them again. */
export const GATEWAY_API_RECHECK_MS = 30_000;

/** Where the gateways CRD is read: the watch cache first, then the API server. */
export interface GatewayCrdSource {
  readonly cache: Pick<ObjectReader, "get">;
  readonly server: Pick<ObjectWriter, "get">;
}

type Rendered = Extract<Desired, { kind: "rendered" }>;
type Refused = Extract<Desired, { kind: "refused" }>;

/** The rendered mesh as the cluster's Gateway API CRDs allow: refused, or what to apply. */
export async function withGatewayApi(
  api: GatewayCrdSource,
  spec: MeshConfigSpec,
  rendered: Rendered,
  istioCrds: IstioCrds,
): Promise<Desired> {
  const check = await gatewayApiCheck(api, spec, istioCrds);
  if (check?.kind === "refused") return check;
  return check?.kind === "keep" ? withoutGatewayApiCrds(rendered) : rendered;
}

/**
 * The cluster's Gateway API CRDs against the minor's need: refused, kept as they are
 * (newer than ours), or undefined (ours are applied, or none are needed).
 */
async function gatewayApiCheck(
  api: GatewayCrdSource,
  spec: MeshConfigSpec,
  istioCrds: IstioCrds,
): Promise<Refused | { kind: "keep" } | undefined> {
  if (!spec.gatewayAPI.enabled) return undefined;
  const need = { ...spec.gatewayAPI, version: lookupVersion(spec.version).gatewayAPI };
  const live = (await api.cache.get(GATEWAY_CRD)) ?? (await api.server.get(GATEWAY_CRD));
  const message = gatewayApiRefusal(need, live, istioCrds);
  if (message !== undefined)
    return { kind: "refused", reason: RefusedReason.GatewayAPIVersionUnsupported, message };
  return keepsNewerGatewayApi(need, live) ? { kind: "keep" } : undefined;
}

/** The rendered mesh without the Gateway API CRDs, which the cluster has newer already. */
function withoutGatewayApiCrds(desired: Rendered): Rendered {
  const ours = (r: RenderedObject) =>
    r.object.kind === "CustomResourceDefinition" &&
    r.object.metadata.name.endsWith(`.${GATEWAY_API_GROUP}`);
  return { ...desired, objects: desired.objects.filter((r) => !ours(r)) };
}
