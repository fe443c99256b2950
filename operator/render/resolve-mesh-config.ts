/**
 * The content of the `istio` ConfigMap's `mesh` key: defaults under the user's
 * spec.meshConfig (which wins field by field), then what the operator must set (where
 * istiod is, the root namespace, the trust domain) over it, then the tracing provider.
 */
import { ambientEnabled } from "../api/data-plane.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { TRACING_PROVIDER, TRUST_DOMAIN } from "./defaults.ts";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else from the override replaces the base. */
export function deepMerge(base: Json, override: Json): Json {
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/**
 * Istio finds a provider's service by its full host name, so the usual short form
 * `service.namespace` becomes `service.namespace.svc.cluster.local`; other names are kept.
 */
export function serviceHost(host: string): string {
  return host.split(".").length === 2 ? `${host}.svc.cluster.local` : host;
}

function tracingProvider(tracing: NonNullable<MeshConfigSpec["telemetry"]["tracing"]>): Json {
  const separator = tracing.address.lastIndexOf(":");
  const endpoint = {
    service: serviceHost(tracing.address.slice(0, separator)),
    port: Number(tracing.address.slice(separator + 1)),
  };
  return tracing.provider === "otel"
    ? { name: TRACING_PROVIDER, opentelemetry: endpoint }
    : { name: TRACING_PROVIDER, zipkin: endpoint };
}

export function meshConfigFor(spec: MeshConfigSpec, discoveryAddress: string): Json {
  const defaults: Json = {
    enablePrometheusMerge: true,
    defaultProviders: { metrics: ["prometheus"] },
    defaultConfig: {
      holdApplicationUntilProxyStarts: spec.sidecarInjector.proxy.holdApplicationUntilProxyStarts,
      // Ambient (Istio's ambient profile): sidecars and gateways speak HBONE to ambient
      // workloads and waypoints, so both data planes reach each other.
      ...(ambientEnabled(spec.dataPlane.mode)
        ? { proxyMetadata: { ISTIO_META_ENABLE_HBONE: "true" } }
        : {}),
    },
  };
  // What the rest of the render relies on (where policies live, what proxies trust and
  // dial) is the operator's to set: it is applied over the user's mesh config, not under.
  const required: Json = {
    rootNamespace: spec.namespace,
    trustDomain: TRUST_DOMAIN,
    defaultConfig: { discoveryAddress },
  };
  const merged = deepMerge(deepMerge(defaults, spec.meshConfig ?? {}), required);
  const tracing = spec.telemetry.tracing;
  if (!tracing) return merged;
  const providers = Array.isArray(merged.extensionProviders)
    ? (merged.extensionProviders as Json[])
    : [];
  // A provider the user defined under our name is theirs to keep.
  if (providers.some((p) => p.name === TRACING_PROVIDER)) return merged;
  return { ...merged, extensionProviders: [...providers, tracingProvider(tracing)] };
}
