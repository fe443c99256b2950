/**
 * A rule the API server enforces (CEL in the CRD) together with its zod twin, so admission
 * and the reconciler's run-time validation refuse the same values at the same field.
 */
import type { z } from "zod";

export type CelReason =
  "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";

export interface Violation {
  /** Path below the checked value, e.g. ["service", "ports", 1, "port"]. */
  readonly path: readonly PropertyKey[];
  /** Overrides the rule's message (zod can say more than a static CEL message). */
  readonly message?: string;
}

export interface Rule<T> {
  readonly rule: string;
  readonly message: string;
  /** A CEL expression that names the offending value; the message is its fallback. */
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: CelReason;
  /** zod's twin of `rule`: where the value breaks it; empty when it holds. */
  readonly violations: (value: T) => readonly Violation[];
}

/** The rules as `x-kubernetes-validations` entries. */
export function celValidations<T>(rules: readonly Rule<T>[]): Record<string, string>[] {
  return rules.map(({ rule, message, messageExpression, fieldPath, reason }) => ({
    rule,
    message,
    ...(messageExpression === undefined ? {} : { messageExpression }),
    ...(fieldPath === undefined ? {} : { fieldPath }),
    reason: reason ?? "FieldValueInvalid",
  }));
}

/** The rules as a zod superRefine callback. */
export function refineWith<T>(rules: readonly Rule<T>[]) {
  return (value: T, context: z.RefinementCtx): void => {
    for (const rule of rules)
      for (const { path, message } of rule.violations(value))
        context.addIssue({ code: "custom", message: message ?? rule.message, path: [...path] });
  };
}

/** Indices of list items whose key occurs earlier in the list too. */
export function duplicateIndices<T>(items: readonly T[], key: (item: T) => string | undefined) {
  const seen = new Set<string>();
  const duplicates: number[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) duplicates.push(index);
    seen.add(k);
  });
  return duplicates;
}
