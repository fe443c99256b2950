/**
 * converge: the corridor of one reconcile of a MeshConfig that renders, each step a
 * function of the previous step's output:
 *   post-render -> parent (ApplySet metadata) -> apply phase 1 -> secure (the CA)
 *   -> apply the remaining phases (CA gate first, istiod with the CA's hash)
 *   -> prune or nudge -> observe (from apply's live view)
 * and the answer the reconciler reports: the outcome, the component conditions, the
 * status fields and the writes. Nothing here writes status or records events.
 */
import type { Logger } from "pino";
import { ConditionType, GateReason, Reason } from "../api/conditions.ts";
import type { RevisionStatus } from "../api/mesh-config-status.ts";
import { GROUP_KINDS_ANNOTATION } from "./apply-set.ts";
import type { ObjectReader, ObjectWriter } from "../kube/interfaces.ts";
import type { KubeObject } from "../kube/object.ts";
import type { ObjectApplier, WriteCounter } from "./applier.ts";
import { applyPhases, type Applied, type ApplyDeps } from "./apply-phases.ts";
import { caConditions, caExpiry, withCaHash } from "./ca-status.ts";
import type { CaState, CertificateAuthority } from "./certificate-authority.ts";
import type { DesiredCondition } from "./conditions.ts";
import { NUDGE_ANNOTATION, stuckCrds } from "./crd-establishment.ts";
import type { Desired } from "./desired.ts";
import { identity } from "./identity.ts";
import type { MeshConfigObject } from "./mesh-config-object.ts";
import { observe, type Observation } from "./observe.ts";
import { outcomeOf } from "./outcome.ts";
import { parentMetadata, parentUpToDate } from "./parent.ts";
import { CA_PHASE, inPhases, PHASES } from "./phases.ts";
import { memberGroupKinds, postRender, type IstioCrds } from "./post-render.ts";
import { staleObjects } from "./prune.ts";
import { revisionsOutcome, type Revisions } from "./revision-status.ts";
import { findCondition } from "./status.ts";
import type { Outcome } from "./summary.ts";

export interface ConvergeContext {
  readonly cache: ObjectReader;
  readonly api: ObjectWriter;
  readonly applier: ObjectApplier;
  readonly ca: Pick<CertificateAuthority, "ensure">;
  readonly now: Date;
  readonly log: Logger;
  readonly countWrite?: WriteCounter | undefined;
  readonly istioCrds: IstioCrds;
  readonly progressDeadlineMs: number;
  /** The revisions rendered (revision-plan.ts), for the tag gate and status.revisions. */
  readonly revisions?: Revisions | undefined;
}

export interface Converged {
  readonly outcome: Outcome;
  /** Component conditions (ControlPlaneReady ... CAReady) for the summary. */
  readonly components: readonly DesiredCondition[];
  readonly observation: Observation;
  readonly managedObjects: number;
  readonly certificateAuthority: ReturnType<typeof caExpiry> | undefined;
  /** The secure step's answer (undefined when apply stopped before it). */
  readonly ca: CaState | undefined;
  /** Every phase applied and every component ready. */
  readonly converged: boolean;
  readonly ready: boolean;
  readonly writes: number;
  readonly pruned: number;
  readonly revisions: RevisionStatus[] | undefined;
}

type Rendered = Extract<Desired, { kind: "rendered" }>;

export async function converge(
  mc: MeshConfigObject,
  desired: Rendered,
  ctx: ConvergeContext,
): Promise<Converged> {
  const { objects, members } = postRender(desired.objects, mc.metadata.name, ctx.istioCrds);
  // ApplySet rule: the parent lists a kind before any member of that kind exists.
  const known = (mc.metadata.annotations?.[GROUP_KINDS_ANNOTATION] ?? "").split(",");
  const parent = await ensureParent(ctx, mc, memberGroupKinds(members, known.filter(Boolean)));
  const applied = await applyAll(ctx, inPhases(objects), desired.spec);
  const after =
    applied.result.kind === "waiting"
      ? await nudgeIfStuck(ctx, applied)
      : await pruneAndShrink(ctx, parent.mc, members);
  const observation = observe(objects, applied.live, applied.result.kind === "done");
  const revisions = revisionsOutcome(
    ctx.revisions,
    observation.conditions,
    { objects, live: applied.live },
    mc.status?.revisions,
  );
  const components = [...revisions.conditions, ...caConditions(applied.ca, mc.status)];
  const ready = components.every((c) => c.status === "True");
  const outcome = outcomeOf(
    applied.result,
    components,
    !ready && pastProgressDeadline(mc, ctx.now, ctx.progressDeadlineMs),
    ctx.progressDeadlineMs,
  );
  return {
    outcome,
    components,
    observation,
    managedObjects: objects.length,
    certificateAuthority: applied.ca?.kind === "ready" ? caExpiry(applied.ca) : undefined,
    ca: applied.ca,
    converged: applied.result.kind === "done" && ready,
    ready,
    writes: parent.writes + applied.result.writes + (applied.ca?.writes ?? 0) + after.writes,
    pruned: after.pruned,
    revisions: revisions.revisions,
  };
}

/**
 * apply, secure, apply: phase 1 (namespaces, CRDs), then the CA step (its Secrets live in
 * the control-plane namespace phase 1 made), then the rest, starting at the CA gate, with
 * istiod carrying the CA's hash. One live view of everything looked at.
 */
async function applyAll(
  ctx: ConvergeContext,
  phases: ReturnType<typeof inPhases>,
  spec: Rendered["spec"],
): Promise<Applied & { ca: CaState | undefined }> {
  const deps: ApplyDeps = {
    applier: ctx.applier,
    lookup: (object) => ctx.cache.get(object),
    onWrite: (object, why) => {
      ctx.log.debug({ object: identity(object), why }, "applied");
    },
  };
  const ground = await applyPhases({ phases, from: 0, to: CA_PHASE, ca: undefined }, deps);
  if (ground.result.kind === "waiting") return { ...ground, ca: undefined };
  const ca = await secure(ctx, spec);
  const hashed =
    ca.kind === "ready"
      ? phases.map((objects) =>
          objects.map((r) => ({ ...r, object: withCaHash(r.object, ca.hash) })),
        )
      : phases;
  const rest = await applyPhases({ phases: hashed, from: CA_PHASE, to: PHASES.length, ca }, deps);
  const result = { ...rest.result, writes: ground.result.writes + rest.result.writes };
  return { result, live: new Map([...ground.live, ...rest.live]), ca };
}

/** secure: the CA step's answer; its writes are counted and logged, never its material. */
async function secure(ctx: ConvergeContext, spec: Rendered["spec"]): Promise<CaState> {
  const state = await ctx.ca.ensure(spec, spec.namespace, ctx.now);
  for (let i = 0; i < state.writes; i += 1) ctx.countWrite?.("create", "Secret");
  if (state.kind === "ready" && state.writes > 0)
    ctx.log.info({ action: state.action }, "certificate authority");
  if (state.kind === "failed") ctx.log.warn({ reason: state.reason }, state.message);
  return state;
}

/**
 * Our metadata on the MeshConfig (ApplySet parent, finalizer), written when it differs.
 * Returns the parent as it now is, as a new object: the cache's copy is never changed.
 */
async function ensureParent(
  ctx: ConvergeContext,
  mc: MeshConfigObject,
  groupKinds: string,
): Promise<{ writes: number; mc: MeshConfigObject }> {
  if (parentUpToDate(mc, groupKinds)) return { writes: 0, mc };
  const ours = parentMetadata(mc.metadata.name, groupKinds);
  await ctx.api.apply(ours, { force: true });
  ctx.countWrite?.("apply", "MeshConfig");
  const { labels, annotations, finalizers } = ours.metadata;
  const updated: MeshConfigObject = {
    ...mc,
    metadata: {
      ...mc.metadata,
      labels: { ...mc.metadata.labels, ...labels },
      annotations: { ...mc.metadata.annotations, ...annotations },
      finalizers: [...new Set([...(mc.metadata.finalizers ?? []), ...(finalizers ?? [])])],
    },
  };
  return { writes: 1, mc: updated };
}

/**
 * After a complete apply: prune, then shrink the ApplySet's kinds to the desired ones
 * (only once every watch has listed: an unlisted kind may still hold members).
 */
async function pruneAndShrink(
  ctx: ConvergeContext,
  parent: MeshConfigObject,
  members: readonly KubeObject[],
): Promise<{ writes: number; pruned: number }> {
  const stale = staleObjects(ctx.cache.list(), members, parent.metadata);
  for (const object of stale) {
    ctx.log.info({ object: identity(object) }, "pruning an object no longer desired");
    await ctx.applier.delete(object);
  }
  if (ctx.cache.unsyncedKinds().length > 0) return { writes: stale.length, pruned: stale.length };
  const shrunk = await ensureParent(ctx, parent, memberGroupKinds(members));
  return { writes: stale.length + shrunk.writes, pruned: stale.length };
}

/** After a wait on CRDs: touch the ones the API server forgot (crd-establishment.ts). */
async function nudgeIfStuck(
  ctx: ConvergeContext,
  applied: Applied,
): Promise<{ writes: number; pruned: number }> {
  if (applied.result.kind !== "waiting" || applied.result.reason !== GateReason.CRDsNotEstablished)
    return { writes: 0, pruned: 0 };
  const stuck = stuckCrds(applied.live.values(), ctx.now);
  for (const crd of stuck) {
    ctx.log.warn({ crd: crd.metadata.name }, "CRD not Established in time: nudging the API server");
    await ctx.api.mergePatch(crd, {
      metadata: { annotations: { [NUDGE_ANNOTATION]: ctx.now.toISOString() } },
    });
    ctx.countWrite?.("update", "CustomResourceDefinition");
  }
  return { writes: stuck.length, pruned: 0 };
}

/** True once the mesh has been unavailable for longer than the progress deadline. */
export function pastProgressDeadline(mc: MeshConfigObject, now: Date, deadlineMs: number): boolean {
  const stalled = findCondition(mc.status, ConditionType.Stalled);
  if (
    stalled?.status === "True" &&
    stalled.reason === Reason.ProgressDeadlineExceeded &&
    mc.status?.observedGeneration === mc.metadata.generation
  )
    return true;
  const reconciling = findCondition(mc.status, ConditionType.Reconciling);
  if (reconciling?.status !== "True") return false;
  return now.getTime() - Date.parse(reconciling.lastTransitionTime) > deadlineMs;
}
