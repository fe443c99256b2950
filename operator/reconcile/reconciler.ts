/**
 * reconcile(name): the one-way flow of DESIGN.md for one MeshConfig, level-based: it reads
 * the current state from the cache every time and never trusts what triggered it.
 *   read -> (deleting? teardown) -> (paused? report) -> validate -> (in-place jump?)
 *   -> revisions (cluster-revisions.ts) -> render (desired.ts) -> Gateway API gate
 *   (gateway-api-gate.ts) -> converge (converge.ts: post-render, secure, apply, prune,
 *   observe) -> report
 * Each step takes the previous step's answer; only report writes status, and only this
 * file records events. A phase that waits ends the run with requeue-after; errors throw,
 * and the workqueue retries them with backoff.
 * The reconciler depends on narrow views of the cluster (kube/interfaces.ts) and a clock,
 * so test/unit/reconcile drives it against an in-memory API server.
 */
import type { Logger } from "pino";
import { EventReason, Reason, SUMMARY_CONDITIONS } from "../api/conditions.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { PAUSED_ANNOTATION } from "../api/distribution.ts";
import { systemClock, type Clock } from "../kube/clock.ts";
import type { ObjectReader, ObjectWriter } from "../kube/interfaces.ts";
import type { InjectedPods } from "../kube/pod-list.ts";
import { ObjectApplier, type WriteCounter } from "./applier.ts";
import { CertificateAuthority } from "./certificate-authority.ts";
import type { DesiredCondition } from "./conditions.ts";
import { ClusterRevisions } from "./cluster-revisions.ts";
import { converge, type Converged } from "./converge.ts";
import type { DataPlaneUsage } from "./data-plane-count.ts";
import type { Revisions } from "./revision-status.ts";
import { desiredFor, validatedSpec, type Desired, type Validated } from "./desired.ts";
import { meshConfigRef, type MeshConfigObject } from "./mesh-config-object.ts";
import { nextRun, sooner, type ReconcileOutcome } from "./outcome.ts";
import { GATEWAY_API_RECHECK_MS, withGatewayApi } from "./gateway-api-gate.ts";
import type { IstioCrds } from "./post-render.ts";
import { liveRevisions, type RevisionPlan } from "./revision-plan.ts";
import { nextStatus, sameStatus } from "./status.ts";
import { summaryConditions, type Outcome } from "./summary.ts";
import { deleteStep, release } from "./teardown-run.ts";
import { planTeardown } from "./teardown.ts";
import { transitionEvents } from "./transition-events.ts";
import { inPlaceJumpRefusal, type JumpRefusal } from "./version-jump.ts";
import { restartWorkloads, type RestartOutcome } from "./workload-restart-run.ts";
import { WrittenStatus } from "./written-status.ts";

export type { ReconcileOutcome, RunResult } from "./outcome.ts";

export interface EventSink {
  record(
    regarding: { apiVersion: string; kind: string; name: string; uid: string },
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ): void;
}

export interface ReconcilerOptions {
  /** What the watches see of the owned objects. */
  readonly cache: ObjectReader;
  /** What the watch sees of MeshConfigs. */
  readonly meshConfigs: Pick<ObjectReader, "get">;
  /** The API server: every write goes here. */
  readonly api: ObjectWriter;
  readonly log: Logger;
  readonly events?: EventSink;
  /** Counts every write (applies, deletes, creates, status), for the metrics. */
  readonly countWrite?: WriteCounter;
  /** How long the mesh may stay unavailable before Stalled/ProgressDeadlineExceeded. */
  readonly progressDeadlineMs?: number;
  /** How long teardown may wait on stuck objects before releasing the finalizer anyway. */
  readonly teardownTimeoutMs?: number;
  /**
   * Who installs Istio's CRDs: the operator ("managed", kustomize installs) or someone else
   * ("external": OLM installs them from the bundle; the operator only waits for them).
   */
  readonly istioCrds?: IstioCrds;
  /** Periodic re-check of a converged mesh (watches already report every change). */
  readonly resyncMs?: number;
  /**
   * The injected pods (kube/pod-list.ts), counted per revision for status.revisions and
   * pruning; undefined: no counts. Pods are not watched, so with a source a converged mesh
   * is re-checked every `dataPlaneResyncMs` to keep the counts fresh.
   */
  readonly pods?: InjectedPods;
  readonly dataPlaneResyncMs?: number;
  readonly clock?: Clock;
}

const DEFAULT_PROGRESS_DEADLINE_MS = 600_000;
const DEFAULT_TEARDOWN_TIMEOUT_MS = 120_000;
const DEFAULT_RESYNC_MS = 300_000;
const DEFAULT_DATA_PLANE_RESYNC_MS = 30_000;
const TEARDOWN_REQUEUE_MS = 1_000;

type Extra = Partial<
  Pick<
    Parameters<typeof nextStatus>[0],
    | "observation"
    | "istioVersion"
    | "managedObjects"
    | "certificateAuthority"
    | "revisions"
    | "workloadRestart"
  >
>;

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly clock: Clock;
  private readonly applier: ObjectApplier;
  private readonly ca: CertificateAuthority;
  private readonly revisions: ClusterRevisions;
  private lastDesired: { key: string; desired: Desired } | undefined;
  private lastValidated: { key: string; validated: Validated } | undefined;
  private readonly written = new WrittenStatus();

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.applier = new ObjectApplier(options.api, options.countWrite);
    this.ca = new CertificateAuthority(options.api);
    this.revisions = new ClusterRevisions(options.cache, options.pods, this.clock);
  }

  async reconcile(name: string, log: Logger = this.options.log): Promise<ReconcileOutcome> {
    const mc = await this.options.meshConfigs.get<MeshConfigObject>(meshConfigRef(name));
    // Gone: its owner references let the garbage collector take what is left.
    if (!mc) return { result: "success", writes: 0 };
    if (mc.metadata.deletionTimestamp) return this.tearDown(mc, log);
    if (mc.metadata.annotations?.[PAUSED_ANNOTATION] === "true") {
      const writes = await this.report(mc, { kind: "Paused" }, previousComponents(mc));
      return { result: "success", writes };
    }
    const validated = this.validatedOf(mc);
    if (validated.kind !== "valid") return this.stall(mc, validated, log);
    const jump = this.jumpRefusal(mc, validated.spec);
    if (jump) return this.stall(mc, jump, log);
    const revisions = await this.revisions.revisionsOf(mc, validated.spec, log);
    const rendered = this.desiredOf(mc, validated.spec, revisions.plan);
    if (rendered.kind !== "rendered") return this.stall(mc, rendered, log);
    const istioCrds = this.options.istioCrds ?? "managed";
    const crds = { cache: this.options.cache, server: this.options.api };
    const desired = await withGatewayApi(crds, validated.spec, rendered, istioCrds);
    if (desired.kind === "refused") {
      // The cluster, not the spec, may change this: look again now and then.
      const stalled = await this.stall(mc, desired, log);
      return { ...stalled, requeueAfterMs: GATEWAY_API_RECHECK_MS };
    }
    let converged: Converged;
    try {
      converged = await converge(mc, desired, {
        ...this.convergeContext(log, revisions.usage),
        revisions,
      });
    } catch (error) {
      await this.report(
        mc,
        { kind: "Failed", reason: Reason.ApplyFailed, message: (error as Error).message },
        previousComponents(mc),
      );
      throw error;
    }
    const restart = await this.restartStep(mc, validated.spec, revisions, converged, log);
    const outcome = await this.finish(mc, desired, converged, log, restart);
    return sooner(outcome, revisions.plan.requeueAfterMs);
  }

  /**
   * updateWorkloads (workload-restart-run.ts): only once the control plane has rolled out;
   * an error is logged, never the mesh's failure (the next run decides again).
   */
  private async restartStep(
    mc: MeshConfigObject,
    spec: MeshConfigSpec,
    revisions: Revisions,
    converged: Converged,
    log: Logger,
  ): Promise<RestartOutcome | undefined> {
    if (!converged.converged) return undefined;
    let restart: RestartOutcome | undefined;
    try {
      restart = await restartWorkloads({
        spec,
        plan: revisions.plan,
        pods: revisions.pods,
        api: this.options.api,
        now: this.clock.now(),
        log,
        countWrite: this.options.countWrite,
      });
    } catch (error) {
      // The mesh converged: a refused read or patch (RBAC trimmed) must not fail it.
      log.warn({ err: error }, "could not restart workloads: trying again at the next run");
      return undefined;
    }
    if (restart?.restarted.length) {
      const left = `${String(restart.status?.waiting ?? 0)} waiting`;
      const note = `restarted for ${restart.status?.version ?? ""}: ${restart.restarted.join(", ")} (${left})`;
      this.event(mc, "Normal", EventReason.WorkloadsRestarted, note);
    }
    return restart;
  }

  /** A too-far in-place jump (version-jump.ts), judged against the live istiod. */
  private jumpRefusal(mc: MeshConfigObject, spec: MeshConfigSpec): JumpRefusal | undefined {
    const listed = this.options.cache.unsyncedKinds().length === 0;
    const live = liveRevisions(this.options.cache.list(), spec.namespace);
    return inPlaceJumpRefusal(spec, live, listed ? undefined : mc.status?.istioVersion);
  }

  /** report, the events of what the CA step did, the log line, and when to run again. */
  private async finish(
    mc: MeshConfigObject,
    desired: Extract<Desired, { kind: "rendered" }>,
    converged: Converged,
    log: Logger,
    restart?: RestartOutcome,
  ): Promise<ReconcileOutcome> {
    const { ca, outcome } = converged;
    if (ca?.kind === "ready" && ca.writes > 0)
      this.event(mc, "Normal", EventReason.CAUpdated, ca.action);
    const reported = await this.report(mc, outcome, converged.components, {
      observation: converged.observation,
      istioVersion: desired.version,
      managedObjects: converged.managedObjects,
      revisions: converged.revisions,
      ...(restart?.status ? { workloadRestart: restart.status } : {}),
      ...(converged.certificateAuthority
        ? { certificateAuthority: converged.certificateAuthority }
        : {}),
    });
    const writes = converged.writes + reported + (restart?.writes ?? 0);
    const waiting = outcome.kind === "Waiting" ? `waiting: ${outcome.reason}` : "reconciled";
    log.info(
      {
        writes,
        pruned: converged.pruned,
        phases: outcome.kind === "Waiting" ? "waiting" : "done",
        ready: converged.ready,
        objects: converged.managedObjects,
      },
      waiting,
    );
    const next = nextRun(outcome, converged.converged, writes, this.resyncMs());
    return sooner(next, restart?.requeueAfterMs);
  }

  /** Pods are not watched: with a pod source, a converged mesh is looked at more often. */
  private resyncMs(): number {
    const resync = this.options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (!this.options.pods) return resync;
    return Math.min(resync, this.options.dataPlaneResyncMs ?? DEFAULT_DATA_PLANE_RESYNC_MS);
  }

  private convergeContext(log: Logger, usage: DataPlaneUsage | undefined) {
    return {
      usage,
      cache: this.options.cache,
      api: this.options.api,
      applier: this.applier,
      ca: this.ca,
      now: this.clock.now(),
      log,
      countWrite: this.options.countWrite,
      istioCrds: this.options.istioCrds ?? "managed",
      progressDeadlineMs: this.options.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS,
    };
  }

  /** validate, remembered per uid and generation: only a spec change can change it. */
  private validatedOf(mc: MeshConfigObject): Validated {
    const key = `${mc.metadata.uid}/${String(mc.metadata.generation ?? 0)}`;
    if (this.lastValidated?.key === key) return this.lastValidated.validated;
    const validated = validatedSpec(mc);
    this.lastValidated = { key, validated };
    return validated;
  }

  /**
   * render, remembered per uid, generation and revision set: only a spec change or a
   * revision coming, going or being tagged can change the result, and re-rendering on
   * every watch event would cost a no-op reconcile most of its time.
   */
  private desiredOf(mc: MeshConfigObject, spec: MeshConfigSpec, plan: RevisionPlan): Desired {
    const set = { revisions: plan.revisions, tag: plan.tag };
    const key = `${mc.metadata.uid}/${String(mc.metadata.generation ?? 0)}/${JSON.stringify(set)}`;
    if (this.lastDesired?.key === key) return this.lastDesired.desired;
    const desired = desiredFor(mc, spec, set);
    this.lastDesired = { key, desired };
    return desired;
  }

  /** Stalled (InvalidSpec, UnsupportedVersion): report, touch nothing, wait for a new spec. */
  private async stall(
    mc: MeshConfigObject,
    refused: Extract<Desired, { kind: "refused" }>,
    log: Logger,
  ): Promise<ReconcileOutcome> {
    const writes = await this.report(
      mc,
      { kind: "Stalled", reason: refused.reason, message: refused.message },
      previousComponents(mc),
    );
    log.warn({ reason: refused.reason }, refused.message);
    return { result: "stalled", writes };
  }

  /** The delete path: plan (teardown.ts), carry out (teardown-run.ts), report. */
  private async tearDown(mc: MeshConfigObject, log: Logger): Promise<ReconcileOutcome> {
    const { cache, api, countWrite } = this.options;
    const validated = this.validatedOf(mc);
    const plan = planTeardown({
      parent: mc.metadata,
      finalizers: mc.metadata.finalizers ?? [],
      deletionTimestamp: mc.metadata.deletionTimestamp,
      live: cache.list(),
      unsyncedKinds: cache.unsyncedKinds(),
      now: this.clock.now(),
      timeoutMs: this.options.teardownTimeoutMs ?? DEFAULT_TEARDOWN_TIMEOUT_MS,
      caNamespace:
        validated.kind === "valid" &&
        validated.spec.certificateAuthority.deletionPolicy === "Delete"
          ? validated.spec.namespace
          : undefined,
    });
    const deps = { api, applier: this.applier, ca: this.ca, countWrite };
    switch (plan.kind) {
      case "none":
        return { result: "success", writes: 0 };
      case "wait": {
        const deleted = await deleteStep(plan, deps);
        const reported = await this.report(mc, plan.outcome, []);
        return {
          result: "requeue",
          requeueAfterMs: TEARDOWN_REQUEUE_MS,
          writes: deleted + reported,
        };
      }
      case "release": {
        if (plan.warning) this.event(mc, "Warning", plan.warning.reason, plan.warning.note);
        const writes = await release(mc, plan, deps);
        log.info(
          { complete: plan.complete, deleteCa: plan.deleteCaIn !== undefined },
          "teardown finished: finalizer released",
        );
        return { result: "success", writes };
      }
    }
  }

  /** Writes status through /status when it differs from what is stored; returns the writes. */
  private async report(
    mc: MeshConfigObject,
    outcome: Outcome,
    components: readonly DesiredCondition[],
    extra: Extra = {},
  ): Promise<number> {
    const previous = this.written.storedFor(mc);
    const status = nextStatus({
      previous,
      generation: mc.metadata.generation ?? 0,
      conditions: summaryConditions(outcome, components),
      now: this.clock.now(),
      ...extra,
    });
    if (sameStatus(status, previous)) return 0;
    await this.options.api.apply(
      { ...meshConfigRef(mc.metadata.name), status },
      { force: true, subresource: "status" },
    );
    this.options.countWrite?.("apply", "MeshConfig/status");
    this.written.wrote(mc, status);
    for (const e of transitionEvents(previous?.conditions ?? [], status.conditions ?? []))
      this.event(mc, e.type, e.reason, e.note);
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

/** The component conditions of the last status: what a run that observes nothing keeps. */
function previousComponents(mc: MeshConfigObject): DesiredCondition[] {
  const summary = new Set<string>(SUMMARY_CONDITIONS);
  return (mc.status?.conditions ?? [])
    .filter((c) => !summary.has(c.type))
    .map(({ type, status, reason, message }) => ({ type, status, reason, message }));
}
