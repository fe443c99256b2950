/**
 * What status says of the revisions (pure): status.revisions, one entry per revision the
 * plan keeps (revision-plan.ts), and ControlPlaneReady held False while the default tag
 * has not reached the revision of spec.version, so the mesh is never Ready for a version
 * that new pods would not get yet.
 */
import { ConditionType } from "../api/conditions.ts";
import type { RevisionStatus } from "../api/mesh-config-status.ts";
import type { KubeObject } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import { DEFAULT_REVISION, DEFAULT_TAG, REVISION_LABEL } from "../render/revisions.ts";
import type { DesiredCondition } from "./conditions.ts";
import type { RevisionUsage } from "./data-plane.ts";
import { identity } from "./identity.ts";
import type { RevisionPlan } from "./revision-plan.ts";
import { rolloutOf } from "./rollout.ts";

export const TAG_PENDING_REASON = "RevisionTagPending";
/** status.revisions' maxItems (mesh-config-status.ts). */
const MAX_LISTED = 16;

/** The revisions one run renders, and the pod counts they were decided from. */
export interface Revisions {
  readonly plan: RevisionPlan;
  readonly usage: RevisionCounts;
  /** The injected pods counted (when they were listed), for workload restarts. */
  readonly pods?: readonly KubeObject[] | undefined;
}

/** Pods and outdated proxies per revision (reconcile/data-plane.ts's dataPlaneUsage). */
export type RevisionCounts = ReadonlyMap<string, RevisionUsage> | undefined;

/** Each rendered istiod's rollout, by revision, from the live view apply built. */
export function istiodRollouts(
  objects: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
): Map<string, boolean> {
  return new Map(
    objects
      .filter((r) => r.component === "istiod" && r.object.kind === "Deployment")
      .map((r) => [
        r.object.metadata.labels?.[REVISION_LABEL] ?? DEFAULT_REVISION,
        rolloutOf(live.get(identity(r.object))).done,
      ]),
  );
}

/** Pods not counted this run: the last count stands rather than a false zero. */
function countOf(name: string, counts: RevisionCounts, before: RevisionStatus | undefined) {
  if (counts) return counts.get(name) ?? { pods: 0, outdatedProxies: 0 };
  return { pods: before?.pods ?? 0, outdatedProxies: before?.outdatedProxies };
}

export function revisionsStatus(
  plan: RevisionPlan,
  rollouts: ReadonlyMap<string, boolean>,
  counts: RevisionCounts,
  previous: readonly RevisionStatus[] | undefined,
): RevisionStatus[] {
  const tagged = plan.strategy === "RevisionBased" ? plan.tag : undefined;
  // The schema keeps 16 (the active revision first); more old revisions still in use exist
  // and are kept, they are only not listed.
  return plan.revisions.slice(0, MAX_LISTED).map((revision) => {
    const count = countOf(
      revision.name,
      counts,
      previous?.find((r) => r.name === revision.name),
    );
    const since = plan.unusedSince[revision.name];
    return {
      name: revision.name,
      version: revision.version,
      ready: rollouts.get(revision.name) ?? false,
      tags: tagged === revision.name ? [DEFAULT_TAG] : [],
      pods: count.pods,
      ...(count.outdatedProxies === undefined ? {} : { outdatedProxies: count.outdatedProxies }),
      ...(since === undefined ? {} : { unusedSince: since }),
    };
  });
}

/** What the revisions add to a converge run: the tag gate and status.revisions. */
export function revisionsOutcome(
  revisions: Revisions | undefined,
  conditions: readonly DesiredCondition[],
  rendered: { objects: readonly RenderedObject[]; live: ReadonlyMap<string, KubeObject> },
  previous: readonly RevisionStatus[] | undefined,
): { conditions: DesiredCondition[]; revisions: RevisionStatus[] | undefined } {
  if (!revisions) return { conditions: [...conditions], revisions: undefined };
  return {
    conditions: withTagGate(conditions, revisions.plan),
    revisions: revisionsStatus(
      revisions.plan,
      istiodRollouts(rendered.objects, rendered.live),
      revisions.usage,
      previous,
    ),
  };
}

/** ControlPlaneReady stays False until the tag points at the revision of spec.version. */
export function withTagGate(
  conditions: readonly DesiredCondition[],
  plan: RevisionPlan,
): DesiredCondition[] {
  if (plan.strategy !== "RevisionBased" || plan.tag === plan.active.name) return [...conditions];
  return conditions.map((c) =>
    c.type === ConditionType.ControlPlaneReady
      ? {
          type: c.type,
          status: "False",
          reason: TAG_PENDING_REASON,
          message: `the ${DEFAULT_TAG} revision tag still points at revision ${plan.tag}: it moves to ${plan.active.name} (Istio ${plan.active.version}) once that istiod has rolled out`,
        }
      : c,
  );
}
