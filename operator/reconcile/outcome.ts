/**
 * What a reconcile ends with (pure): the Outcome its status reports (summary.ts) and the
 * workqueue's answer (when to run again).
 */
import { Reason } from "../api/conditions.ts";
import type { PhasesResult } from "./apply-phases.ts";
import type { DesiredCondition } from "./conditions.ts";
import { phaseName } from "./phases.ts";
import type { Outcome } from "./summary.ts";

export type RunResult = "success" | "requeue" | "stalled";

export interface ReconcileOutcome {
  readonly requeueAfterMs?: number;
  readonly result: RunResult;
  readonly writes: number;
}

export const WAIT_REQUEUE_MS = 2_000;

/** The outcome of a converge run: applied, waiting on a gate, or past the deadline. */
export function outcomeOf(
  phases: PhasesResult,
  components: readonly DesiredCondition[],
  pastDeadline: boolean,
  deadlineMs: number,
): Outcome {
  if (pastDeadline) {
    const blocking = components.find((c) => c.status !== "True")?.message ?? "";
    return {
      kind: "Stalled",
      reason: Reason.ProgressDeadlineExceeded,
      message: `the mesh is not available after ${Math.round(deadlineMs / 1000)} s: ${blocking}; check the Deployments' events`,
    };
  }
  if (phases.kind === "done") return { kind: "Applied" };
  return {
    kind: "Waiting",
    reason: phases.reason,
    message: `${phaseName(phases.phase)}: ${phases.message}`,
  };
}

/** When to run again: soon while waiting, slowly once stalled, at the resync when done. */
export function nextRun(
  outcome: Outcome,
  converged: boolean,
  writes: number,
  resyncMs: number,
): ReconcileOutcome {
  if (outcome.kind === "Stalled")
    return { result: "stalled", requeueAfterMs: WAIT_REQUEUE_MS * 5, writes };
  if (!converged) return { result: "requeue", requeueAfterMs: WAIT_REQUEUE_MS, writes };
  return { result: "success", requeueAfterMs: resyncMs, writes };
}

/** The run's answer, due again by `ms` at the latest (a revision's grace period ending). */
export function sooner(outcome: ReconcileOutcome, ms: number | undefined): ReconcileOutcome {
  if (ms === undefined || outcome.result === "stalled") return outcome;
  const after = Math.min(outcome.requeueAfterMs ?? ms, Math.ceil(ms));
  return { ...outcome, requeueAfterMs: after };
}
