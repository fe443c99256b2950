import { phaseName, type PhasesResult } from "./apply-phases.ts";
import type { DesiredCondition } from "./conditions.ts";
import type { Outcome } from "./summary.ts";

/** The outcome of a converge run (pure): applied, waiting on a gate, or past the deadline. */
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
      reason: "ProgressDeadlineExceeded",
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
