/**
 * resolve(spec) -> EffectiveConfig: everything the templates need, decided in one pure
 * step: the Istio version's facts, object names (with revision suffixes), labels, and every
 * default, so templates only place values and never compute them.
 */
import { ambientEnabled, sidecarsByNamespace } from "../api/data-plane.ts";
import type { GatewayApiCrds } from "../api/gateway-api.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import * as defaults from "./defaults.ts";
import { resolveAmbient, type ResolvedAmbient } from "./resolve-ambient.ts";
import { resolveGateway, type ResolvedGateway } from "./resolve-gateway.ts";
import { meshConfigFor } from "./resolve-mesh-config.ts";
import { ISTIO_IMAGES, lookupVersion, type IstioMinor } from "./istio-versions.ts";

export interface EffectiveConfig {
  readonly spec: MeshConfigSpec;
  readonly version: string;
  readonly istio: IstioMinor;
  readonly namespace: string;
  readonly images: { readonly pilot: string; readonly proxy: string };
  /** "" for the default revision. */
  readonly revision: string;
  /** The value of istio.io/rev labels: the revision, or "default". */
  readonly revisionLabel: string;
  readonly names: Readonly<Record<keyof ReturnType<typeof namesFor>, string>>;
  readonly istiod: {
    readonly selector: Readonly<Record<string, string>>;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly resources: unknown;
    readonly replicasInSpec: boolean;
    readonly discoveryAddress: string;
  };
  readonly meshConfig: Record<string, unknown>;
  readonly gateways: readonly ResolvedGateway[];
  /** ztunnel and the CNI agent; null in sidecar mode. */
  readonly ambient: ResolvedAmbient | null;
  /** spec.gatewayAPI with the version the minor needs (gateway-api-versions.ts). */
  readonly gatewayAPI: {
    readonly enabled: boolean;
    readonly crds: GatewayApiCrds;
    /** The standard-channel version installed (Managed) or at least required (External). */
    readonly version: string;
  };
  /** Namespaces' labels ask for sidecars (spec.sidecarInjector.enabled, off in ambient mode). */
  readonly sidecarsByNamespace: boolean;
}

function namesFor(namespace: string, revision: string) {
  const suffix = revision ? `-${revision}` : "";
  return {
    istiod: `istiod${suffix}`,
    meshConfigMap: `istio${suffix}`,
    injectorConfigMap: `istio-sidecar-injector${suffix}`,
    clusterRole: `istiod-clusterrole${suffix}-${namespace}`,
    gatewayControllerRole: `istiod-gateway-controller${suffix}-${namespace}`,
    readerRole: `istio-reader-clusterrole${suffix}-${namespace}`,
    readerServiceAccount: "istio-reader-service-account",
    // Istio appends the namespace only outside istio-system, to keep the usual name there.
    mutatingWebhook: `istio-sidecar-injector${suffix}${namespace === "istio-system" ? "" : `-${namespace}`}`,
    validatingWebhook: `istio-validator${suffix}-${namespace}`,
  };
}

export function resolve(spec: MeshConfigSpec): EffectiveConfig {
  const istio = lookupVersion(spec.version);
  const revision = spec.revision ?? "";
  const revisionLabel = revision || "default";
  const names = namesFor(spec.namespace, revision);
  const selector: Record<string, string> = revision
    ? { app: "istiod", "istio.io/rev": revision }
    : { app: "istiod", istio: "pilot" };
  const discoveryAddress = `${names.istiod}.${spec.namespace}.svc:15012`;
  const meshConfig = meshConfigFor(spec, discoveryAddress);
  return {
    spec,
    version: spec.version,
    istio,
    namespace: spec.namespace,
    images: {
      pilot: `${spec.hub}/${ISTIO_IMAGES.pilot}:${spec.version}`,
      proxy: `${spec.hub}/${ISTIO_IMAGES.proxy}:${spec.version}`,
    },
    revision,
    revisionLabel,
    names,
    istiod: {
      selector,
      podLabels: {
        ...selector,
        istio: revision ? "istiod" : "pilot",
        "istio.io/rev": revisionLabel,
        "sidecar.istio.io/inject": "false",
        // Istio's label: istiod is never captured by ambient, whatever its namespace says.
        ...(ambientEnabled(spec.dataPlane.mode) ? { "istio.io/dataplane-mode": "none" } : {}),
      },
      resources: spec.controlPlane.resources ?? defaults.ISTIOD_RESOURCES,
      // While the autoscaler runs, it owns the replica count: we must not send one.
      replicasInSpec: !spec.controlPlane.autoscaling.enabled,
      discoveryAddress,
    },
    meshConfig,
    gateways: (spec.gateways ?? []).map((gateway) => resolveGateway(gateway, revision)),
    ambient: resolveAmbient(spec, revisionLabel, discoveryAddress, meshConfig),
    gatewayAPI: { ...spec.gatewayAPI, version: istio.gatewayAPI },
    sidecarsByNamespace: spec.sidecarInjector.enabled && sidecarsByNamespace(spec.dataPlane.mode),
  };
}
