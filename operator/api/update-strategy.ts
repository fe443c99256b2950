/**
 * spec.updateStrategy: how a change of spec.version reaches the control plane. The names
 * and the grace-period semantics are the Sail operator's (IstioUpdateStrategy), so people
 * who know one know the other:
 *   InPlace        the one istiod is updated where it stands (the default);
 *   RevisionBased  every version gets a revision of its own (istiod, injector, validator)
 *                  beside the old one; the `default` revision tag moves to it once it has
 *                  rolled out, and an old revision goes once no pod uses it and
 *                  inactiveRevisionDeletionGracePeriodSeconds have passed.
 * updateWorkloads is Sail's name too (declared there, never wired): off by default, the
 * operator never restarts user workloads; on, once the control plane of spec.version has
 * rolled out it restarts the Deployments and DaemonSets of injected pods still on an old
 * proxy or revision, updateWorkloadsBatchSize at a time (reconcile/workload-restart.ts).
 */
import { z } from "zod";
import { celValidations, refineWith, type Rule } from "./cel-rules.ts";

export const UPDATE_STRATEGY_TYPES = ["InPlace", "RevisionBased"] as const;
export type UpdateStrategyType = (typeof UPDATE_STRATEGY_TYPES)[number];

/** Sail's default (DefaultRevisionDeletionGracePeriodSeconds). */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;
/** 30 days: longer is a revision nobody means to remove, and it must fit the status clock. */
export const MAX_GRACE_PERIOD_SECONDS = 2_592_000;

interface StrategyView {
  readonly type: UpdateStrategyType;
  readonly inactiveRevisionDeletionGracePeriodSeconds?: number | undefined;
  readonly updateWorkloads?: boolean | undefined;
  readonly updateWorkloadsBatchSize?: number | undefined;
}

const GRACE_ONLY_REVISION_BASED: Rule<StrategyView> = {
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

/** One workload at a time unless told otherwise: the gentlest restart. */
export const DEFAULT_UPDATE_WORKLOADS_BATCH_SIZE = 1;
export const MAX_UPDATE_WORKLOADS_BATCH_SIZE = 100;

const BATCH_ONLY_UPDATE_WORKLOADS: Rule<StrategyView> = {
  rule: "!has(self.updateWorkloadsBatchSize) || (has(self.updateWorkloads) && self.updateWorkloads)",
  message:
    "updateWorkloadsBatchSize applies only with updateWorkloads: true (the operator restarts no workload otherwise): remove it or set updateWorkloads: true",
  fieldPath: ".updateWorkloadsBatchSize",
  reason: "FieldValueForbidden",
  violations: (strategy) =>
    strategy.updateWorkloadsBatchSize !== undefined && strategy.updateWorkloads !== true
      ? [{ path: ["updateWorkloadsBatchSize"] }]
      : [],
};

export const UPDATE_STRATEGY_RULES = [GRACE_ONLY_REVISION_BASED, BATCH_ONLY_UPDATE_WORKLOADS];

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
  updateWorkloads: z
    .boolean()
    .optional()
    .describe(
      "Restart injected workloads after an upgrade (absent or false, the default: user workloads are never restarted). When true, once the control plane of spec.version has rolled out (RevisionBased: the default tag moved to its revision), the Deployments and DaemonSets of injected pods whose proxy is older than their control plane, or that run on an old revision, are restarted as kubectl rollout restart does, a batch at a time, each batch's rollout awaited before the next. Needs get on replicasets and patch on the workloads' kinds cluster-wide (docs/upgrade.md).",
    ),
  updateWorkloadsBatchSize: z
    .int()
    .min(1)
    .max(MAX_UPDATE_WORKLOADS_BATCH_SIZE)
    .optional()
    .describe(
      `With updateWorkloads: how many workloads are restarted together (default ${DEFAULT_UPDATE_WORKLOADS_BATCH_SIZE}); the next batch starts once all of them have rolled out.`,
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
