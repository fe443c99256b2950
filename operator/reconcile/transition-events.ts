/**
 * Which status transitions deserve a Kubernetes Event on the MeshConfig (pure): the mesh
 * became Ready, stopped being Ready, or Stalled. Everything else is visible in status and
 * would only be noise in `kubectl describe`.
 */
import { ConditionType, EventReason } from "../api/conditions.ts";
import type { Condition } from "../api/mesh-config-status.ts";

export interface TransitionEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly note: string;
}

type Summary = Pick<Condition, "type" | "status" | "reason" | "message">;

export function transitionEvents(
  before: readonly Summary[],
  after: readonly Summary[],
): TransitionEvent[] {
  const was = (type: string) => before.find((c) => c.type === type)?.status;
  const events: TransitionEvent[] = [];
  const ready = after.find((c) => c.type === ConditionType.Ready);
  if (ready && ready.status !== was(ConditionType.Ready)) {
    if (ready.status === "True")
      events.push({ type: "Normal", reason: EventReason.MeshReady, note: ready.message });
    else if (was(ConditionType.Ready) === "True")
      events.push({ type: "Warning", reason: ready.reason, note: ready.message });
  }
  const expiring = after.find((c) => c.type === ConditionType.CACertificateExpiring);
  if (expiring?.status === "True" && was(ConditionType.CACertificateExpiring) !== "True")
    events.push({ type: "Warning", reason: expiring.reason, note: expiring.message });
  const stalled = after.find((c) => c.type === ConditionType.Stalled);
  if (stalled?.status === "True" && was(ConditionType.Stalled) !== "True")
    events.push({ type: "Warning", reason: stalled.reason, note: stalled.message });
  return events;
}
