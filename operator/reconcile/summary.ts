/**
 * The summary conditions of the status contract (DESIGN.md), from what one reconcile saw:
 *   Ready        the mesh serves: every component ready
 *   Reconciled   this generation was applied without error
 *   Reconciling  work is in progress (abnormal-true, for kstatus, Flux, kpt)
 *   Stalled      a human must act: InvalidSpec, UnsupportedVersion, ProgressDeadlineExceeded
 */
import { ConditionType, type RefusedReason } from "../api/conditions.ts";
import type { DesiredCondition } from "./conditions.ts";

import { PAUSED_ANNOTATION } from "../api/distribution.ts";

export { PAUSED_ANNOTATION } from "../api/distribution.ts";

export type Outcome =
  /** Every phase applied for this generation. */
  | { readonly kind: "Applied" }
  /** Applied up to a phase that waits for something (e.g. istiod to become Available). */
  | { readonly kind: "Waiting"; readonly reason: string; readonly message: string }
  /** A transient failure; the reconcile is retried with backoff. */
  | { readonly kind: "Failed"; readonly reason: string; readonly message: string }
  /** A person paused reconciliation with the meshkeeper.dev/paused annotation. */
  | { readonly kind: "Paused" }
  /** Nothing can progress until a person changes something. */
  | {
      readonly kind: "Stalled";
      readonly reason: RefusedReason | "ProgressDeadlineExceeded";
      readonly message: string;
    };

/** A component condition as observed (ControlPlaneReady, GatewaysReady, ...). */
export type ComponentCondition = DesiredCondition;

export function summaryConditions(
  outcome: Outcome,
  components: readonly ComponentCondition[],
): DesiredCondition[] {
  // Nothing observed (a spec that never rendered, a mesh paused before its first run): not
  // ready, for the outcome's reason.
  const notReady =
    components.find((c) => c.status !== "True") ??
    (components.length === 0 && outcome.kind !== "Applied" ? nothingObserved(outcome) : undefined);
  const ready: DesiredCondition = notReady
    ? {
        type: ConditionType.Ready,
        status: "False",
        reason: notReady.reason,
        message: notReady.message,
      }
    : {
        type: ConditionType.Ready,
        status: "True",
        reason: "MeshReady",
        message: "istiod, the injector and every gateway are serving",
      };
  return [ready, ...progressConditions(outcome, notReady), ...components];
}

function nothingObserved(outcome: Exclude<Outcome, { kind: "Applied" }>): ComponentCondition {
  return outcome.kind === "Paused"
    ? {
        type: ConditionType.Ready,
        status: "False",
        reason: "Paused",
        message: "paused before anything was observed",
      }
    : {
        type: ConditionType.Ready,
        status: "False",
        reason: outcome.reason,
        message: outcome.message,
      };
}

/** One summary condition's status, reason and message. */
type Summary = readonly [status: DesiredCondition["status"], reason: string, message: string];

/** Reconciled, Reconciling and Stalled, in that order. */
function progress(reconciled: Summary, reconciling: Summary, stalled: Summary): DesiredCondition[] {
  const condition = (type: string, [status, reason, message]: Summary): DesiredCondition => ({
    type,
    status,
    reason,
    message,
  });
  return [
    condition(ConditionType.Reconciled, reconciled),
    condition(ConditionType.Reconciling, reconciling),
    condition(ConditionType.Stalled, stalled),
  ];
}

const APPLIED: Summary = ["True", "Applied", "every object of this generation is applied"];

function progressConditions(
  outcome: Outcome,
  notReady: ComponentCondition | undefined,
): DesiredCondition[] {
  switch (outcome.kind) {
    case "Applied":
      // Everything is applied, but a rollout is still under way: kstatus must see
      // InProgress until the components are ready, so Reconciling stays True.
      if (notReady)
        return progress(
          APPLIED,
          ["True", notReady.reason, notReady.message],
          ["False", "Progressing", "the operator keeps watching"],
        );
      return progress(
        APPLIED,
        ["False", "Applied", "nothing left to do"],
        ["False", "Applied", "nothing needs a person"],
      );
    case "Waiting":
    case "Failed":
      return progress(
        ["False", outcome.reason, outcome.message],
        ["True", outcome.reason, outcome.message],
        ["False", outcome.reason, "the operator keeps trying"],
      );
    case "Paused":
      return progress(
        [
          "False",
          "Paused",
          `reconciliation is paused: remove the annotation ${PAUSED_ANNOTATION} to resume`,
        ],
        ["False", "Paused", "paused by a person"],
        ["False", "Paused", "paused, not stuck"],
      );
    case "Stalled":
      return progress(
        ["False", outcome.reason, outcome.message],
        ["False", outcome.reason, "stopped until the spec changes"],
        ["True", outcome.reason, outcome.message],
      );
  }
}
