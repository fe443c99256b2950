/**
 * Whether the cluster's Gateway API CRDs let this mesh run (pure): istiod needs the
 * standard channel at its minor's version (the version table's `gatewayAPI`). What the
 * cluster has is read from the bundle-version annotation of gateways.gateway.networking.k8s.io,
 * which every Gateway API release stamps on its CRDs.
 *  - Provided by the cluster (spec.gatewayAPI.crds External, or the operator started with
 *    --istio-crds=external as under OLM): refused while missing or of an older minor.
 *  - Managed: installed at the minor's version, except when the cluster already has newer
 *    ones (a newer minor installed them, say, before a downgrade or a rollback): those stay
 *    as they are, since installing ours would downgrade them (dropping fields and kinds that
 *    stored objects use), and the standard channel only adds within v1.
 * A refusal is Stalled/GatewayAPIVersionUnsupported, and nothing is touched.
 */
import type { GatewayApiCrds } from "../api/gateway-api.ts";
import type { KubeObject, ObjectRef } from "../kube/object.ts";
import type { IstioCrds } from "./post-render.ts";

export const GATEWAY_CRD: ObjectRef = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gateways.gateway.networking.k8s.io" },
};
export const BUNDLE_VERSION = "gateway.networking.k8s.io/bundle-version";

export interface GatewayApiNeed {
  readonly enabled: boolean;
  readonly crds: GatewayApiCrds;
  /** The version the minor needs, e.g. v1.6.0. */
  readonly version: string;
}

type Version = readonly [number, number, number];

/** v1.6.0 (or v1.5.0-dev) as numbers; undefined when it does not look like a release. */
export function parseBundleVersion(text: string | undefined): Version | undefined {
  const match = /^v(\d+)\.(\d+)\.(\d+)/.exec(text ?? "");
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compare(a: Version, b: Version, parts: 2 | 3): number {
  for (let i = 0; i < parts; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

const INSTALL_HINT = (version: string) =>
  `install them (kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml)`;

/** Why the mesh cannot run on this cluster's Gateway API CRDs, or undefined when it can. */
export function gatewayApiRefusal(
  need: GatewayApiNeed,
  live: KubeObject | undefined,
  istioCrds: IstioCrds,
): string | undefined {
  if (!need.enabled) return undefined;
  const wanted = parseBundleVersion(need.version);
  if (!wanted)
    throw new Error(`the version table's Gateway API version ${need.version} is not vX.Y.Z`);
  const text = live?.metadata.annotations?.[BUNDLE_VERSION];
  const found = parseBundleVersion(text);
  if (need.crds === "External" || istioCrds === "external")
    return providedRefusal(need.version, wanted, live, text, found);
  return undefined;
}

/** Managed, and the cluster's CRDs are newer than the minor's: keep them, apply none of ours. */
export function keepsNewerGatewayApi(need: GatewayApiNeed, live: KubeObject | undefined): boolean {
  const wanted = parseBundleVersion(need.version);
  const found = parseBundleVersion(live?.metadata.annotations?.[BUNDLE_VERSION]);
  return (
    need.enabled && need.crds === "Managed" && !!wanted && !!found && compare(found, wanted, 3) > 0
  );
}

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

const OFF = "or set spec.gatewayAPI.enabled: false";

/** The cluster provides the CRDs: they must exist, of the needed minor or a later one. */
function providedRefusal(
  version: string,
  wanted: Version,
  live: KubeObject | undefined,
  text: string | undefined,
  found: Version | undefined,
): string | undefined {
  if (!live)
    return `the cluster has no Gateway API CRDs (${GATEWAY_CRD.metadata.name}), which spec.gatewayAPI.crds External (or --istio-crds=external) leaves to it; this Istio minor needs the standard channel ${version} or a later patch: ${INSTALL_HINT(version)}, ${OFF}`;
  if (!found || compare(found, wanted, 2) < 0)
    return `the cluster's Gateway API CRDs are ${text ?? "of an unknown version (no bundle-version annotation)"}, older than the ${version} this Istio minor needs: upgrade them (${INSTALL_HINT(version)}), ${OFF}`;
  return undefined;
}
