/**
 * The content of the `istio` ConfigMap's `mesh` key: what the operator must set (where
 * istiod is, the root namespace, tracing providers), under the user's spec.meshConfig,
 * which wins field by field.
 */
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

function tracingProvider(tracing: NonNullable<MeshConfigSpec["telemetry"]["tracing"]>): Json {
  const separator = tracing.address.lastIndexOf(":");
  const endpoint = {
    service: tracing.address.slice(0, separator),
    port: Number(tracing.address.slice(separator + 1)),
  };
  return tracing.provider === "otel"
    ? { name: TRACING_PROVIDER, opentelemetry: endpoint }
    : { name: TRACING_PROVIDER, zipkin: endpoint };
}

export function meshConfigFor(spec: MeshConfigSpec, discoveryAddress: string): Json {
  const generated: Json = {
    rootNamespace: spec.namespace,
    trustDomain: TRUST_DOMAIN,
    enablePrometheusMerge: true,
    defaultProviders: { metrics: ["prometheus"] },
    defaultConfig: {
      discoveryAddress,
      holdApplicationUntilProxyStarts: spec.sidecarInjector.proxy.holdApplicationUntilProxyStarts,
    },
  };
  const merged = deepMerge(generated, spec.meshConfig ?? {});
  const tracing = spec.telemetry.tracing;
  if (!tracing) return merged;
  const providers = Array.isArray(merged.extensionProviders)
    ? (merged.extensionProviders as Json[])
    : [];
  // A provider the user defined under our name is theirs to keep.
  if (providers.some((p) => p.name === TRACING_PROVIDER)) return merged;
  return { ...merged, extensionProviders: [...providers, tracingProvider(tracing)] };
}
