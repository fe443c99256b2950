/**
 * Condition bookkeeping, cert-manager style: compute the desired conditions, keep each
 * one's lastTransitionTime while its status is unchanged, and compare before writing, so
 * an unchanged status is never written.
 */
import { CONDITION_ORDER } from "../api/conditions.ts";
import type { Condition } from "../api/mesh-config-status.ts";

export type ConditionStatus = Condition["status"];

/** A condition as computed, before transition times are settled. */
export interface DesiredCondition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export { CONDITION_ORDER } from "../api/conditions.ts";

function rank(type: string): number {
  const index = (CONDITION_ORDER as readonly string[]).indexOf(type);
  return index === -1 ? CONDITION_ORDER.length : index;
}

/**
 * The next list of conditions: each desired one, with lastTransitionTime carried over from
 * the previous list when its status did not change (reason or message may change freely),
 * and `now` when it did. Conditions not desired any more are dropped.
 */
export function settleConditions(
  previous: readonly Condition[],
  desired: readonly DesiredCondition[],
  generation: number,
  now: Date,
): Condition[] {
  const before = new Map(previous.map((c) => [c.type, c]));
  return desired
    .map((next) => {
      const old = before.get(next.type);
      const lastTransitionTime =
        old && old.status === next.status
          ? old.lastTransitionTime
          : now.toISOString().replace(/\.\d+Z$/, "Z");
      return { ...next, observedGeneration: generation, lastTransitionTime };
    })
    .sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

/** True when two condition lists say the same thing (the order conditions are kept in included). */
export function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => JSON.stringify(c) === JSON.stringify(orderedLike(c, b[i])))
  );
}

/** b's fields in a's key order, so that JSON comparison ignores key order. */
function orderedLike(a: Condition, b: Condition | undefined): Record<string, unknown> | undefined {
  if (!b) return undefined;
  return Object.fromEntries(Object.keys(a).map((key) => [key, b[key as keyof Condition]]));
}
