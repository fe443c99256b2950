/**
 * spec.updateStrategy: how a change of spec.version reaches the control plane. The names
 * and the grace-period semantics are the Sail operator's (IstioUpdateStrategy), so people
 * who know one know the other:
 *   InPlace        the one istiod is updated where it stands (the default);
 *   RevisionBased  every version gets a revision of its own (istiod, injector, validator)
 *                  beside the old one; the `default` revision tag moves to it once it has
 *                  rolled out, and an old revision goes once no pod uses it and
 *                  inactiveRevisionDeletionGracePeriodSeconds have passed.
 */
import { z } from "zod";
import { celValidations, refineWith, type Rule } from "./cel-rules.ts";

export const UPDATE_STRATEGY_TYPES = ["InPlace", "RevisionBased"] as const;
export type UpdateStrategyType = (typeof UPDATE_STRATEGY_TYPES)[number];

/** Sail's default (DefaultRevisionDeletionGracePeriodSeconds). */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;
/** 30 days: longer is a revision nobody means to remove, and it must fit the status clock. */
export const MAX_GRACE_PERIOD_SECONDS = 2_592_000;

const GRACE_ONLY_REVISION_BASED: Rule<{
  readonly type: UpdateStrategyType;
  readonly inactiveRevisionDeletionGracePeriodSeconds?: number | undefined;
}> = {
  rule: "!has(self.inactiveRevisionDeletionGracePeriodSeconds) || self.type == 'RevisionBased'",
  message:
    "inactiveRevisionDeletionGracePeriodSeconds applies only to type RevisionBased (InPlace keeps no old revision to remove): remove it or set type: RevisionBased",
  fieldPath: ".inactiveRevisionDeletionGracePeriodSeconds",
  reason: "FieldValueForbidden",
  violations: (strategy) =>
    strategy.inactiveRevisionDeletionGracePeriodSeconds !== undefined &&
    strategy.type !== "RevisionBased"
      ? [{ path: ["inactiveRevisionDeletionGracePeriodSeconds"] }]
      : [],
};

export const UPDATE_STRATEGY_RULES = [GRACE_ONLY_REVISION_BASED];

const updateStrategyFields = z.object({
  type: z
    .enum(UPDATE_STRATEGY_TYPES)
    .default("InPlace")
    .describe(
      "InPlace (default): istiod is updated where it stands. RevisionBased: each spec.version gets its own control-plane revision, named <spec.revision>-<version with dashes> (e.g. 1-29-2, or canary-1-29-2), beside the old one; the default revision tag moves to it once it has rolled out, and an old revision is removed once no pod uses it and the grace period has passed.",
    ),
  inactiveRevisionDeletionGracePeriodSeconds: z
    .int()
    .min(0)
    .max(MAX_GRACE_PERIOD_SECONDS)
    .optional()
    .describe(
      `RevisionBased only: seconds an old revision is kept after the last pod stopped using it (default ${DEFAULT_GRACE_PERIOD_SECONDS}).`,
    ),
});

export const updateStrategySpec = updateStrategyFields
  .superRefine(refineWith(UPDATE_STRATEGY_RULES))
  .meta({
    description:
      "How a change of spec.version reaches the control plane (the Sail operator's updateStrategy).",
    "x-kubernetes-validations": celValidations(UPDATE_STRATEGY_RULES),
  });

/**
 * The revision name of a version under RevisionBased: Istio's convention of the version with
 * dashes (1.29.2 -> 1-29-2), after spec.revision when one is set (canary-1-29-2).
 */
export function revisionBasedName(prefix: string | undefined, version: string): string {
  const dashed = version.replaceAll(".", "-");
  return prefix ? `${prefix}-${dashed}` : dashed;
}
