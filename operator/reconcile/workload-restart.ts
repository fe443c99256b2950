/**
 * spec.updateStrategy.updateWorkloads (pure): which injected workloads to restart after an
 * upgrade, and when. Level-based: every run decides again from the cluster, with no
 * memory of its own; what a restart leaves on the workload's pod template says it was done:
 *   kubectl.kubernetes.io/restartedAt   the time (what `kubectl rollout restart` writes);
 *   meshkeeper.dev/restarted-for        the target, <revision>/<version>.
 * The rules:
 *   - nothing unless enabled, and nothing until the control plane of spec.version has
 *     rolled out (the caller's gate: ControlPlaneReady, which under RevisionBased also waits
 *     for the default tag to reach the new revision);
 *   - a pod wants a restart when it runs on one of our revisions other than the current one,
 *     or on the current one with a proxy older than spec.version (data-plane.ts);
 *   - a workload already restarted for this target is never restarted again for it (its new
 *     pods may still be old, e.g. a namespace pinned to an old revision: no restart loop);
 *   - batches: while a workload restarted for this target has not rolled out (rollout.ts),
 *     nothing new starts; otherwise the next batchSize workloads, by kind, namespace, name.
 */
import { RESTARTED_FOR_ANNOTATION } from "../api/distribution.ts";
import type { KubeObject, ObjectRef } from "../kube/object.ts";
import { isOutdated, podRevision } from "./data-plane.ts";
import { rolloutOf } from "./rollout.ts";

export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

export interface RestartTarget {
  /** The revision new pods get (the active one; the default tag points at it). */
  readonly revision: string;
  readonly version: string;
  /** Our revisions (the plan's): pods of other control planes are not ours to move. */
  readonly ours: ReadonlySet<string>;
}

export const targetKey = (target: RestartTarget) => `${target.revision}/${target.version}`;

/** True when the pod runs an old revision of ours, or the current one with an old proxy. */
export function wantsRestart(pod: KubeObject, target: RestartTarget): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const revision = podRevision(pod);
  if (revision === undefined || !target.ours.has(revision)) return false;
  return revision !== target.revision || isOutdated(pod, target.version);
}

/** The pod's controller, as its ownerReferences name it. */
export function controllerOf(object: KubeObject): ObjectRef | undefined {
  const owner = (object.metadata.ownerReferences ?? []).find((o) => o.controller);
  if (!owner?.apiVersion || !owner.kind || !owner.name) return undefined;
  const { namespace } = object.metadata;
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    metadata: { name: owner.name, ...(namespace === undefined ? {} : { namespace }) },
  };
}

/** The kinds restarted: the ones rollout.ts can follow. */
export const RESTARTABLE_KINDS: ReadonlySet<string> = new Set(["Deployment", "DaemonSet"]);

export const workloadName = (w: ObjectRef) =>
  `${w.kind} ${w.metadata.namespace ?? ""}/${w.metadata.name}`;

type TemplateView = {
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
};

function restartedFor(workload: KubeObject): string | undefined {
  return (workload as TemplateView).spec?.template?.metadata?.annotations?.[
    RESTARTED_FOR_ANNOTATION
  ];
}

export interface RestartPlan {
  /** Restart these now (empty while a batch rolls). */
  readonly restart: readonly KubeObject[];
  /** Restarted for this target and not rolled out yet. */
  readonly rolling: readonly KubeObject[];
  /** Want a restart, not restarted for this target yet (after this run's batch). */
  readonly waiting: number;
}

/**
 * The next step for the live workloads of the pods that want a restart (each once; those
 * the operator owns itself are the caller's to leave out).
 */
export function planRestart(
  workloads: readonly KubeObject[],
  target: RestartTarget,
  batchSize: number,
): RestartPlan {
  const key = targetKey(target);
  const mine = workloads.filter((w) => restartedFor(w) === key);
  const rolling = mine.filter((w) => !rolloutOf(w).done);
  const pending = workloads
    .filter((w) => restartedFor(w) !== key && RESTARTABLE_KINDS.has(w.kind))
    .sort((a, b) => workloadName(a).localeCompare(workloadName(b)));
  const restart = rolling.length > 0 ? [] : pending.slice(0, Math.max(1, batchSize));
  return { restart, rolling, waiting: pending.length - restart.length };
}

/** The merge patch `kubectl rollout restart` makes, with the target beside the time. */
export function restartPatch(target: RestartTarget, now: Date) {
  return {
    spec: {
      template: {
        metadata: {
          annotations: {
            [RESTARTED_AT_ANNOTATION]: now.toISOString().replace(/\.\d+Z$/, "Z"),
            [RESTARTED_FOR_ANNOTATION]: targetKey(target),
          },
        },
      },
    },
  };
}
