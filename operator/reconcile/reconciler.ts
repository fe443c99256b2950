/**
 * reconcile(name): the one-way flow of DESIGN.md for one MeshConfig, level-based: it reads
 * the current state from the cache every time and never trusts what triggered it.
 *   read -> (deleting? teardown) -> (paused? report) -> validate -> render
 *   -> apply phases (skip unchanged) -> prune -> observe -> report status if changed
 * A phase that waits ends the run with requeue-after; errors throw, and the workqueue
 * retries them with backoff.
 */
import type { Logger } from "pino";
import type { ObjectCache } from "../kube/object-cache.ts";
import type { KubeObject } from "../kube/object.ts";
import type { ApplyTarget, ServerSideApply } from "../kube/server-side-apply.ts";
import type { RenderedObject } from "../render/render.ts";
import { desiredFromSpec, type Desired } from "./desired.ts";
import type { ObjectApplier, WriteCounter } from "./applier.ts";
import { groupKindsValue, isMember } from "./apply-set.ts";
import { applyPhases, type PhasesResult } from "./apply-phases.ts";
import { outcomeOf } from "./outcome.ts";
import type { DesiredCondition } from "./conditions.ts";
import { groupKind, identity } from "./identity.ts";
import { meshConfigRef, type MeshConfigObject } from "./mesh-config-object.ts";
import { observe } from "./observe.ts";
import { parentMetadata, parentUpToDate } from "./parent.ts";
import { inPhases } from "./phases.ts";
import { asMember, staleObjects } from "./prune.ts";
import { findCondition, nextStatus, sameStatus } from "./status.ts";
import { PAUSED_ANNOTATION, summaryConditions, type Outcome } from "./summary.ts";
import { tearDown, type TeardownRun } from "./teardown-run.ts";
import { transitionEvents } from "./transition-events.ts";
import { CA_PHASE } from "./phases.ts";
import { caConditions, caExpiry, withCaHash } from "./ca-status.ts";
import type { CaState, CertificateAuthority } from "./certificate-authority.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { NUDGE_ANNOTATION, stuckCrds } from "./crd-establishment.ts";

export interface EventSink {
  record(
    regarding: { apiVersion: string; kind: string; name: string; uid: string },
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ): void;
}

export interface ReconcilerOptions {
  readonly cache: ObjectCache;
  readonly meshConfigs: ObjectCache;
  readonly ssa: ServerSideApply;
  readonly applier: ObjectApplier;
  readonly ca: CertificateAuthority;
  readonly log: Logger;
  readonly events?: EventSink;
  /** Counts writes the applier does not make (MeshConfig metadata and status). */
  readonly countWrite?: WriteCounter;
  /** How long the mesh may stay unavailable before Stalled/ProgressDeadlineExceeded. */
  readonly progressDeadlineMs?: number;
  /** How long teardown may wait on stuck objects before releasing the finalizer anyway. */
  readonly teardownTimeoutMs?: number;
  /**
   * Who installs Istio's CRDs: the operator ("managed", kustomize installs) or someone else
   * ("external": OLM installs them from the bundle; the operator only waits for them).
   */
  readonly istioCrds?: "managed" | "external";
  /** Periodic re-check of a converged mesh (watches already report every change). */
  readonly resyncMs?: number;
  readonly now?: () => Date;
}

export type RunResult = "success" | "requeue" | "stalled";

export interface ReconcileOutcome {
  readonly requeueAfterMs?: number;
  readonly result: RunResult;
  readonly writes: number;
}

const WAIT_REQUEUE_MS = 2_000;
const DEFAULT_PROGRESS_DEADLINE_MS = 600_000;

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly now: () => Date;
  private lastDesired: { key: string; desired: Desired } | undefined;
  /** The current run's logger (one reconcile at a time: the workqueue runs keys serially). */
  private log: Logger;

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.log = options.log;
  }

  async reconcile(name: string, log: Logger = this.options.log): Promise<ReconcileOutcome> {
    this.log = log;
    const mc = await this.options.meshConfigs.get<MeshConfigObject>(meshConfigRef(name));
    // Gone: its owner references let the garbage collector take what is left.
    if (!mc) return { result: "success", writes: 0 };
    if (mc.metadata.deletionTimestamp) return tearDown(mc, this.teardownRun(mc));
    if (mc.metadata.annotations?.[PAUSED_ANNOTATION] === "true") {
      const writes = await this.report(mc, { kind: "Paused" }, this.previousComponents(mc));
      return { result: "success", writes };
    }
    const desired = this.desiredOf(mc);
    if (desired.kind !== "rendered") return this.stall(mc, desired.reason, desired.message);
    try {
      return await this.converge(mc, desired);
    } catch (error) {
      await this.report(
        mc,
        { kind: "Failed", reason: "ApplyFailed", message: (error as Error).message },
        this.previousComponents(mc),
      );
      throw error;
    }
  }

  /**
   * validate + render, remembered per uid and generation: only a spec change (a new
   * generation) can change the result, and re-rendering on every watch event would cost
   * a no-op reconcile most of its time.
   */
  private desiredOf(mc: MeshConfigObject): Desired {
    const key = `${mc.metadata.uid}/${String(mc.metadata.generation ?? 0)}`;
    if (this.lastDesired?.key === key) return this.lastDesired.desired;
    const desired = desiredFromSpec(mc);
    this.lastDesired = { key, desired };
    return desired;
  }

  private async converge(
    mc: MeshConfigObject,
    { objects: rendered, version, spec }: Extract<Desired, { kind: "rendered" }>,
  ): Promise<ReconcileOutcome> {
    const external = this.options.istioCrds === "external";
    const desired = rendered
      .filter((r) => !(external && r.object.kind === "CustomResourceDefinition"))
      .map((r) => ({ ...r, object: asMember(r.object, mc.metadata.name) }));
    const members = desired.filter((r) => isMember(r.object.kind)).map((r) => r.object);
    const kinds = members.map((o) => groupKind(o.apiVersion, o.kind));
    // ApplySet rule: the parent lists a kind before any member of that kind exists.
    const known = (
      mc.metadata.annotations?.["applyset.kubernetes.io/contains-group-kinds"] ?? ""
    ).split(",");
    let writes = await this.ensureParent(mc, groupKindsValue([...known.filter(Boolean), ...kinds]));

    const live = new Map<string, KubeObject>();
    const { phases, ca } = await this.applyAll(mc, spec, desired, live);
    writes += phases.writes;
    const pruned = await this.afterPhases(mc, phases, live, members);
    writes += pruned;
    const observation = observe(desired, live, phases.kind === "done");
    observation.conditions.push(...caConditions(ca, mc.status));
    const ready = observation.conditions.every((c) => c.status === "True");
    const finalOutcome = outcomeOf(
      phases,
      observation.conditions,
      !ready && this.pastProgressDeadline(mc),
      this.options.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS,
    );
    writes +=
      (ca?.writes ?? 0) +
      (await this.report(mc, finalOutcome, observation.conditions, {
        observation,
        istioVersion: version,
        managedObjects: desired.length,
        ...(ca?.kind === "ready" ? { certificateAuthority: caExpiry(ca) } : {}),
      }));
    this.log.info(
      { writes, pruned, phases: phases.kind, ready, objects: desired.length },
      phases.kind === "done" ? "reconciled" : `waiting: ${phases.reason}`,
    );
    return this.nextRun(finalOutcome, phases.kind === "done" && ready, writes);
  }

  /** When to run again: soon while waiting, slowly once stalled, at the resync when done. */
  private nextRun(outcome: Outcome, converged: boolean, writes: number): ReconcileOutcome {
    if (outcome.kind === "Stalled")
      return { result: "stalled", requeueAfterMs: WAIT_REQUEUE_MS * 5, writes };
    if (!converged) return { result: "requeue", requeueAfterMs: WAIT_REQUEUE_MS, writes };
    return { result: "success", requeueAfterMs: this.options.resyncMs ?? 300_000, writes };
  }

  /** The phases, with the CA ensured in its own phase and its hash put on istiod. */
  private async applyAll(
    mc: MeshConfigObject,
    spec: MeshConfigSpec,
    desired: RenderedObject[],
    live: Map<string, KubeObject>,
  ): Promise<{ phases: PhasesResult; ca: CaState | undefined }> {
    let ca: CaState | undefined;
    const phases = await applyPhases(inPhases(desired), {
      applier: this.options.applier,
      lookup: (object) => this.options.cache.get(object),
      live,
      // After the namespaces exist, before anything that mounts the CA.
      beforePhase: async (phase) => {
        if (phase !== CA_PHASE) return undefined;
        ca = await this.secure(mc, spec);
        return ca.kind === "failed" ? { reason: ca.reason, message: ca.message } : undefined;
      },
      prepare: (object) => (ca?.kind === "ready" ? withCaHash(object, ca.hash) : object),
      onWrite: (object, why) => {
        this.log.debug({ object: identity(object), why }, "applied");
      },
    });
    return { phases, ca };
  }

  /** Stalled (InvalidSpec, UnsupportedVersion): report, touch nothing, wait for a new spec. */
  private async stall(
    mc: MeshConfigObject,
    reason: "InvalidSpec" | "UnsupportedVersion",
    message: string,
  ): Promise<ReconcileOutcome> {
    const writes = await this.report(
      mc,
      { kind: "Stalled", reason, message },
      this.previousComponents(mc),
    );
    this.log.warn({ reason }, message);
    return { result: "stalled", writes };
  }

  private pastProgressDeadline(mc: MeshConfigObject): boolean {
    const stalled = findCondition(mc.status, "Stalled");
    if (
      stalled?.status === "True" &&
      stalled.reason === "ProgressDeadlineExceeded" &&
      mc.status?.observedGeneration === mc.metadata.generation
    )
      return true;
    const reconciling = findCondition(mc.status, "Reconciling");
    if (reconciling?.status !== "True") return false;
    const since = Date.parse(reconciling.lastTransitionTime);
    return (
      this.now().getTime() - since >
      (this.options.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS)
    );
  }

  private previousComponents(mc: MeshConfigObject): DesiredCondition[] {
    const summary = new Set(["Ready", "Reconciled", "Reconciling", "Stalled"]);
    return (mc.status?.conditions ?? [])
      .filter((c) => !summary.has(c.type))
      .map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  }

  private async ensureParent(mc: MeshConfigObject, groupKinds: string): Promise<number> {
    if (parentUpToDate(mc, groupKinds)) return 0;
    await this.options.ssa.apply(parentMetadata(mc.metadata.name, groupKinds), { force: true });
    this.options.countWrite?.("apply", "MeshConfig");
    // Keep our copy current: the watch event may not have arrived before the next check.
    mc.metadata.annotations = {
      ...mc.metadata.annotations,
      "applyset.kubernetes.io/contains-group-kinds": groupKinds,
    };
    return 1;
  }

  /**
   * After a complete apply: prune, then shrink the ApplySet's kinds to the desired ones.
   * After a wait on CRDs: nudge the ones the API server forgot. Returns the writes.
   */
  private async afterPhases(
    mc: MeshConfigObject,
    phases: PhasesResult,
    live: ReadonlyMap<string, KubeObject>,
    members: readonly RenderedObject["object"][],
  ): Promise<number> {
    if (phases.kind === "waiting")
      return phases.reason === "CRDsNotEstablished"
        ? this.nudge(stuckCrds(live.values(), this.now()))
        : 0;
    const pruned = await this.prune(mc, members);
    if (this.options.cache.unsyncedKinds().length > 0) return pruned;
    const kinds = members.map((o) => groupKind(o.apiVersion, o.kind));
    return pruned + (await this.ensureParent(mc, groupKindsValue(kinds)));
  }

  /** The CA step; its writes and what it did are logged, never its material. */
  private async secure(mc: MeshConfigObject, spec: MeshConfigSpec): Promise<CaState> {
    const state = await this.options.ca.ensure(spec, spec.namespace, this.now());
    for (let i = 0; i < state.writes; i += 1) this.options.countWrite?.("create", "Secret");
    if (state.kind === "ready" && state.writes > 0) {
      this.log.info({ action: state.action }, "certificate authority");
      this.event(mc, "Normal", "CAUpdated", state.action);
    }
    if (state.kind === "failed") this.log.warn({ reason: state.reason }, state.message);
    return state;
  }

  /** Touches CRDs the API server forgot to establish (crd-establishment.ts). */
  private async nudge(crds: readonly KubeObject[]): Promise<number> {
    for (const crd of crds) {
      this.log.warn(
        { crd: crd.metadata.name },
        "CRD not Established in time: nudging the API server",
      );
      await this.options.ssa.mergePatch(crd as ApplyTarget, {
        metadata: { annotations: { [NUDGE_ANNOTATION]: this.now().toISOString() } },
      });
      this.options.countWrite?.("update", "CustomResourceDefinition");
    }
    return crds.length;
  }

  private async prune(
    mc: MeshConfigObject,
    members: readonly RenderedObject["object"][],
  ): Promise<number> {
    const stale = staleObjects(this.options.cache.list(), members, mc.metadata);
    for (const object of stale) {
      this.log.info(
        { object: identity(object as RenderedObject["object"]) },
        "pruning an object no longer desired",
      );
      await this.options.applier.delete(object as RenderedObject["object"]);
    }
    return stale.length;
  }

  /** The delete path's dependencies for this run (teardown-run.ts). */
  private teardownRun(mc: MeshConfigObject): TeardownRun {
    const { cache, applier, ssa, ca, countWrite, teardownTimeoutMs } = this.options;
    return {
      cache,
      applier,
      ssa,
      ca,
      countWrite,
      teardownTimeoutMs,
      now: this.now(),
      log: this.log,
      report: (outcome) => this.report(mc, outcome, []),
      warn: (reason, note) => {
        this.event(mc, "Warning", reason, note);
      },
      caToDelete: () => {
        const desired = this.desiredOf(mc);
        return desired.kind === "rendered" &&
          desired.spec.certificateAuthority.deletionPolicy === "Delete"
          ? desired.spec.namespace
          : undefined;
      },
    };
  }

  /** Writes status through /status when it differs from what is stored; returns the writes. */
  private async report(
    mc: MeshConfigObject,
    outcome: Outcome,
    components: readonly DesiredCondition[],
    extra: Partial<
      Pick<Parameters<typeof nextStatus>[0], "observation" | "istioVersion" | "managedObjects">
    > = {},
  ): Promise<number> {
    const status = nextStatus({
      previous: mc.status,
      generation: mc.metadata.generation ?? 0,
      conditions: summaryConditions(outcome, components),
      now: this.now(),
      ...extra,
    });
    if (sameStatus(status, mc.status)) return 0;
    await this.options.ssa.apply(
      { ...meshConfigRef(mc.metadata.name), status },
      { force: true, subresource: "status" },
    );
    this.options.countWrite?.("apply", "MeshConfig/status");
    for (const e of transitionEvents(mc.status?.conditions ?? [], status.conditions ?? []))
      this.event(mc, e.type, e.reason, e.note);
    mc.status = status;
    return 1;
  }

  private event(mc: MeshConfigObject, type: "Normal" | "Warning", reason: string, note: string) {
    this.options.events?.record(
      { ...meshConfigRef(mc.metadata.name), name: mc.metadata.name, uid: mc.metadata.uid },
      type,
      reason,
      note,
    );
  }
}
