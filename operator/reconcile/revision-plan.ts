/**
 * Which control-plane revisions should exist, and where the default tag points (pure,
 * level-based): a function of the spec, the live revisions (owned istiod Deployments, with
 * their revision label, version label and rollout), the live tag webhook, the pods using
 * each revision and the last status, never of what happened before. An operator killed at
 * any point therefore decides the same again from what the cluster shows.
 *   - the revision of spec.version always exists (the active one);
 *   - the tag moves to it only once its istiod has rolled out (rollout.ts), and never back;
 *     until then it stays where it is (or, with no tag yet, on a rolled-out old revision);
 *   - an old revision stays while the tag points at it or a pod uses it; once unused, it
 *     stays for the grace period, counted from status.revisions[].unusedSince, then goes
 *     (it is no longer rendered, so the ApplySet prune removes its objects).
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { RevisionStatus } from "../api/mesh-config-status.ts";
import { DEFAULT_GRACE_PERIOD_SECONDS } from "../api/update-strategy.ts";
import { metaTime } from "../kube/clock.ts";
import type { KubeObject } from "../kube/object.ts";
import { COMPONENT_LABEL, MESH_LABEL } from "../render/render.ts";
import {
  activeRevision,
  DEFAULT_REVISION,
  DEFAULT_TAG,
  REVISION_LABEL,
  TAG_LABEL,
  VERSION_LABEL,
  type RevisionRef,
  type RevisionSet,
} from "../render/revisions.ts";
import { rolloutOf } from "./rollout.ts";

/** How often to count pods while an old revision is still in use (pods are not watched). */
export const IN_USE_POLL_MS = 15_000;

export interface LiveRevision extends RevisionRef {
  /** Its istiod has rolled out its current generation (rollout.ts). */
  readonly rolledOut: boolean;
}

/** Pods per revision (reconcile/data-plane.ts); undefined when they could not be listed. */
export type Usage = ReadonlyMap<string, { readonly pods: number }> | undefined;

export interface PlanInput {
  readonly spec: MeshConfigSpec;
  readonly live: readonly LiveRevision[];
  /** The revision the live tag webhook points at, if there is one. */
  readonly tag: string | undefined;
  readonly usage: Usage;
  readonly previous: readonly RevisionStatus[] | undefined;
  readonly now: Date;
}

export interface RevisionPlan extends RevisionSet {
  readonly strategy: MeshConfigSpec["updateStrategy"]["type"];
  readonly active: RevisionRef;
  /** When each kept, unused old revision stopped being used (ISO time). */
  readonly unusedSince: Readonly<Record<string, string>>;
  /** Run again by then: a grace period ends, or pods must be counted again. */
  readonly requeueAfterMs: number | undefined;
}

function versionOf(deployment: KubeObject): string {
  const label = deployment.metadata.labels?.[VERSION_LABEL];
  if (label) return label;
  // An istiod applied before the label existed: its image tag is the version.
  const containers = (
    deployment.spec as { template?: { spec?: { containers?: { image?: string }[] } } }
  ).template?.spec?.containers;
  const image = containers?.[0]?.image ?? "";
  return image.slice(image.lastIndexOf(":") + 1);
}

/** The live revisions: our istiod Deployments in the control-plane namespace. */
export function liveRevisions(objects: readonly KubeObject[], namespace: string): LiveRevision[] {
  return objects
    .filter(
      (o) =>
        o.kind === "Deployment" &&
        o.metadata.namespace === namespace &&
        o.metadata.labels?.[COMPONENT_LABEL] === "istiod" &&
        o.metadata.labels[MESH_LABEL] !== undefined &&
        !o.metadata.deletionTimestamp,
    )
    .map((d) => ({
      name: d.metadata.labels?.[REVISION_LABEL] ?? DEFAULT_REVISION,
      version: versionOf(d),
      rolledOut: rolloutOf(d).done,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * While a watch has not listed yet (the operator just started), the cache may not show a
 * revision that exists: the revisions status last recorded stand in for it, so nothing is
 * dropped (and pruned) for want of a look.
 */
export function withRecorded(
  live: readonly LiveRevision[],
  recorded: readonly RevisionStatus[] | undefined,
): LiveRevision[] {
  const missing = (recorded ?? [])
    .filter((r) => !live.some((l) => l.name === r.name))
    .map((r) => ({ name: r.name, version: r.version, rolledOut: false }));
  return [...live, ...missing].sort((a, b) => a.name.localeCompare(b.name));
}

/** The revision the recorded status says the default tag points at. */
export function recordedTag(recorded: readonly RevisionStatus[] | undefined): string | undefined {
  return recorded?.find((r) => r.tags.includes(DEFAULT_TAG))?.name;
}

/** The revision our default tag webhook points at (its istio.io/rev label). */
export function liveTag(objects: readonly KubeObject[]): string | undefined {
  const webhook = objects.find(
    (o) =>
      o.kind === "MutatingWebhookConfiguration" &&
      o.metadata.labels?.[TAG_LABEL] === DEFAULT_TAG &&
      o.metadata.labels[MESH_LABEL] !== undefined,
  );
  return webhook?.metadata.labels?.[REVISION_LABEL];
}

function newestFirst(a: RevisionRef, b: RevisionRef): number {
  const parts = (v: string) => v.split(".").map(Number);
  const [x, y] = [parts(a.version), parts(b.version)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  return a.name.localeCompare(b.name);
}

function tagTarget(input: PlanInput, active: RevisionRef, others: readonly LiveRevision[]) {
  const activeLive = input.live.find((r) => r.name === active.name);
  if (activeLive?.rolledOut || input.tag === active.name) return active.name;
  if (input.tag !== undefined && others.some((r) => r.name === input.tag)) return input.tag;
  // No tag yet (a mesh that was InPlace): the newest old revision that serves holds it.
  const serving = others.filter((r) => r.rolledOut).sort(newestFirst)[0];
  return serving?.name ?? active.name;
}

const IN_PLACE_PLAN = (active: RevisionRef): RevisionPlan => ({
  strategy: "InPlace",
  active,
  revisions: [active],
  tag: active.name,
  unusedSince: {},
  requeueAfterMs: undefined,
});

/** One old revision: kept (and when to look again), or gone. */
type Verdict =
  | { readonly keep: false }
  | { readonly keep: true; readonly since?: string; readonly waitMs?: number };

function judge(revision: LiveRevision, input: PlanInput, tag: string, graceMs: number): Verdict {
  if (revision.name === tag) return { keep: true };
  const before = input.previous?.find((r) => r.name === revision.name)?.unusedSince;
  // Nothing goes while pods cannot be counted (a grace period begun stays on record).
  if (input.usage === undefined)
    return before === undefined
      ? { keep: true, waitMs: IN_USE_POLL_MS }
      : { keep: true, since: before, waitMs: IN_USE_POLL_MS };
  // While pods use it, count again soon.
  if ((input.usage.get(revision.name)?.pods ?? 0) > 0)
    return { keep: true, waitMs: IN_USE_POLL_MS };
  const since = before ?? metaTime(input.now);
  const left = graceMs - (input.now.getTime() - Date.parse(since));
  return left > 0 ? { keep: true, since, waitMs: left } : { keep: false };
}

export function planRevisions(input: PlanInput): RevisionPlan {
  const { spec } = input;
  const active = activeRevision(spec);
  if (spec.updateStrategy.type !== "RevisionBased") return IN_PLACE_PLAN(active);
  const others = input.live.filter((r) => r.name !== active.name);
  const tag = tagTarget(input, active, others);
  const seconds =
    spec.updateStrategy.inactiveRevisionDeletionGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const kept: RevisionRef[] = [];
  const unusedSince: Record<string, string> = {};
  const waits: number[] = [];
  for (const revision of others) {
    const verdict = judge(revision, input, tag, seconds * 1000);
    if (!verdict.keep) continue;
    kept.push({ name: revision.name, version: revision.version });
    if (verdict.since !== undefined) unusedSince[revision.name] = verdict.since;
    if (verdict.waitMs !== undefined) waits.push(verdict.waitMs);
  }
  return {
    strategy: "RevisionBased",
    active,
    revisions: [active, ...kept],
    tag,
    unusedSince,
    requeueAfterMs: waits.length > 0 ? Math.min(...waits) : undefined,
  };
}
