/**
 * The data plane (pure): which control-plane revision each injected pod belongs to, which
 * proxy version it runs, and per revision how many pods use it and how many of them run a
 * proxy older than that revision's control plane (the skew an upgrade leaves behind until
 * workloads restart). The one source of "pods using revision X", for status and pruning.
 *
 * Facts from Istio's injector (pkg/kube/inject/inject.go), not guesses:
 *   - injection records the injecting istiod's revision in the JSON annotation
 *     `sidecar.istio.io/status` (field `revision`, "default" for an unnamed revision). It
 *     deliberately does not set an `istio.io/rev` label: a pod's label may name a revision
 *     TAG, which is a selector, not the revision that answered. Older injectors wrote no
 *     `revision` field; the template's `istio.io/rev` annotation names it then.
 *   - the proxy is the container `istio-proxy` (an init container with native sidecars),
 *     image `HUB/proxyv2:TAG`, TAG the Istio version with an optional image type suffix
 *     (`-distroless`, `-debug`).
 */
import type { KubeObject } from "../kube/object.ts";

/** The annotation injection writes on every pod it changed. */
export const SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";
/** The revision annotation of the injection templates (ours and upstream's). */
export const REVISION_ANNOTATION = "istio.io/rev";
export const PROXY_CONTAINER = "istio-proxy";
/** Every injection template (sidecar, gateway, gRPC) sets this label: the list's selector. */
export const INJECTED_POD_SELECTOR = "service.istio.io/canonical-name";

/** Image type suffixes Istio publishes (inject.go KnownImageTypes). */
const IMAGE_TYPES = ["-distroless", "-debug"];

export interface RevisionUsage {
  /** Pods injected by this revision that have not terminated. */
  readonly pods: number;
  /** Of those (not being deleted), the ones whose proxy is older than the revision. */
  readonly outdatedProxies: number;
}

/** What this module reads of a pod; every other field passes unread. */
interface PodView {
  metadata: KubeObject["metadata"];
  spec?: { containers?: ContainerView[]; initContainers?: ContainerView[] };
  status?: { phase?: string };
}

interface ContainerView {
  name?: string;
  image?: string;
}

function revisionFromStatus(annotation: string | undefined): string | undefined {
  if (annotation === undefined) return undefined;
  try {
    const parsed = JSON.parse(annotation) as { revision?: unknown } | null;
    const revision = parsed?.revision;
    return typeof revision === "string" && revision !== "" ? revision : undefined;
  } catch {
    return undefined;
  }
}

function terminated(pod: PodView): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * The revision whose istiod injected this pod, or undefined when the pod is not injected
 * (no sidecar.istio.io/status) or has terminated (it uses nothing any more).
 */
export function podRevision(pod: KubeObject): string | undefined {
  const view = pod as PodView;
  const annotations = view.metadata.annotations ?? {};
  const status = annotations[SIDECAR_STATUS_ANNOTATION];
  if (status === undefined || terminated(view)) return undefined;
  return revisionFromStatus(status) ?? (annotations[REVISION_ANNOTATION] || "default");
}

/** The tag of an image reference: after the last ':' of the last path segment, before '@'. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split("@")[0] ?? "";
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  return colon < 0 ? undefined : lastSegment.slice(colon + 1) || undefined;
}

/** The Istio version of a proxy image tag, image type suffix removed. */
export function versionOfTag(tag: string): string {
  const suffix = IMAGE_TYPES.find((type) => tag.endsWith(type));
  return suffix ? tag.slice(0, -suffix.length) : tag;
}

/** The proxy version a pod runs (its istio-proxy image's tag), or undefined if unknown. */
export function proxyVersion(pod: KubeObject): string | undefined {
  const spec = (pod as PodView).spec;
  const proxy = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find(
    (c) => c.name === PROXY_CONTAINER,
  );
  const tag = proxy?.image === undefined ? undefined : imageTag(proxy.image);
  return tag === undefined ? undefined : versionOfTag(tag);
}

interface Parsed {
  readonly numbers: readonly [number, number, number];
  /** "" for a release; a pre-release (1.30.0-beta.1) sorts before its release. */
  readonly pre: string;
}

function parseVersion(version: string): Parsed | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-(.+))?$/.exec(version);
  if (!match) return undefined;
  return {
    numbers: [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)],
    pre: match[4] ?? "",
  };
}

/**
 * -1, 0 or 1 as a is older than, the same as or newer than b; undefined when either is
 * not an Istio version (a custom or `latest` tag, a digest): then nobody can say.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i += 1) {
    const d = (x.numbers[i] ?? 0) - (y.numbers[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === "") return 1;
  if (y.pre === "") return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** True when the pod's proxy is known to be older than `controlPlane`. */
export function isOutdated(pod: KubeObject, controlPlane: string | undefined): boolean {
  const proxy = proxyVersion(pod);
  if (proxy === undefined || controlPlane === undefined) return false;
  return compareVersions(proxy, controlPlane) === -1;
}

/**
 * Per revision seen on the pods: how many use it and how many run an older proxy than
 * `versions` says the revision runs. A revision missing from `versions` (another
 * control plane, or one already removed) is counted, with no outdated proxies: its version
 * is unknown. A pod being deleted still uses its revision but is not counted as outdated
 * (it is already being replaced).
 */
export function dataPlaneUsage(
  pods: readonly KubeObject[],
  versions: ReadonlyMap<string, string>,
): Map<string, RevisionUsage> {
  const usage = new Map<string, { pods: number; outdatedProxies: number }>();
  for (const pod of pods) {
    const revision = podRevision(pod);
    if (revision === undefined) continue;
    const entry = usage.get(revision) ?? { pods: 0, outdatedProxies: 0 };
    entry.pods += 1;
    if (!pod.metadata.deletionTimestamp && isOutdated(pod, versions.get(revision)))
      entry.outdatedProxies += 1;
    usage.set(revision, entry);
  }
  return new Map([...usage].sort(([a], [b]) => a.localeCompare(b)));
}

/** Pods of a revision (for pruning: a revision is unused when this is 0). */
export function podsUsing(usage: ReadonlyMap<string, RevisionUsage>, revision: string): number {
  return usage.get(revision)?.pods ?? 0;
}
