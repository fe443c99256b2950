/**
 * How two injected pods are compared in the parity test. Both are first stored by the API
 * server (a server-side dry-run create), so defaulted fields and YAML spelling (`emptyDir:`
 * null versus `{}`, a quoted versus a bare number) count as what Kubernetes makes of them.
 * Then these normalisations, each for a reason:
 *
 *  1. server-assigned metadata (uid, creationTimestamp, resourceVersion, managedFields,
 *     generation) is dropped: it differs for any two creations;
 *  2. the reference istiod runs under its own revision (it must not take over our
 *     webhooks), so its revision in `istio.io/rev` and in `sidecar.istio.io/status` is read
 *     as ours;
 *  3. env values and annotations that hold JSON (PROXY_CONFIG, ISTIO_META_POD_PORTS,
 *     sidecar.istio.io/status) are compared as parsed JSON: the proxy parses them, and the
 *     templates space them differently.
 *
 * Lists of named objects (containers, env, volumes, mounts, ports) are compared by name,
 * with their order compared on its own, so a difference reads as a path like
 * `spec.containers[istio-proxy].env[GOMAXPROCS]`.
 */

export interface Difference {
  path: string;
  ours: unknown;
  upstream: unknown;
}

const SERVER_METADATA = [
  "uid",
  "creationTimestamp",
  "resourceVersion",
  "managedFields",
  "generation",
];
const JSON_ENV = new Set(["PROXY_CONFIG", "ISTIO_META_POD_PORTS"]);
const STATUS = "sidecar.istio.io/status";

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type Json = Record<string, unknown>;

/** A stored pod with the normalisations above applied (a new object). */
export function normalisePod(pod: Json, revision: { from: string; to: string }): Json {
  const copy = structuredClone(pod) as Json & { metadata: Json; spec: Json };
  for (const key of SERVER_METADATA) Reflect.deleteProperty(copy.metadata, key);
  const annotations = (copy.metadata.annotations ?? {}) as Record<string, unknown>;
  if (annotations["istio.io/rev"] === revision.from) annotations["istio.io/rev"] = revision.to;
  if (typeof annotations[STATUS] === "string") {
    const status = parseJson(annotations[STATUS]) as Json;
    if (status.revision === revision.from) status.revision = revision.to;
    annotations[STATUS] = status;
  }
  for (const list of ["containers", "initContainers"]) {
    for (const container of (copy.spec[list] ?? []) as Json[]) {
      for (const env of (container.env ?? []) as Json[]) {
        if (JSON_ENV.has(env.name as string)) env.value = parseJson(env.value);
      }
    }
  }
  return copy;
}

function isNamedList(value: unknown): value is Json[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => v !== null && typeof v === "object" && typeof (v as Json).name === "string")
  );
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Json)[k])]),
    );
  }
  return value;
}

function diffNamedLists(ours: Json[], upstream: Json[], path: string): Difference[] {
  const out: Difference[] = [];
  const ourNames = ours.map((v) => v.name as string);
  const theirNames = upstream.map((v) => v.name as string);
  const common = ourNames.filter((n) => theirNames.includes(n));
  const theirCommon = theirNames.filter((n) => ourNames.includes(n));
  if (!same(common, theirCommon)) {
    out.push({ path: `${path}(order)`, ours: common, upstream: theirCommon });
  }
  for (const name of new Set([...ourNames, ...theirNames])) {
    out.push(
      ...diff(
        ours.find((v) => v.name === name),
        upstream.find((v) => v.name === name),
        `${path}[${name}]`,
      ),
    );
  }
  return out;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Every path where two normalised pods differ (empty: equal). */
export function diff(ours: unknown, upstream: unknown, path = ""): Difference[] {
  if (same(ours, upstream)) return [];
  if (isNamedList(ours) && isNamedList(upstream)) return diffNamedLists(ours, upstream, path);
  if (Array.isArray(ours) && Array.isArray(upstream) && ours.length === upstream.length) {
    return ours.flatMap((v, i) => diff(v, upstream[i], `${path}[${i}]`));
  }
  if (isObject(ours) && isObject(upstream)) {
    return [...new Set([...Object.keys(ours), ...Object.keys(upstream)])]
      .sort()
      .flatMap((k) => diff(ours[k], upstream[k], path ? `${path}.${k}` : k));
  }
  return [{ path: path || "(root)", ours, upstream }];
}
