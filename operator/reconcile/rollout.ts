/**
 * Rollout truth (pure): has the workload's current generation finished rolling out? The
 * rules are kstatus's (sigs.k8s.io/cli-utils pkg/kstatus/status, "Current"), because that
 * is what Argo CD, Flux and kpt read from the same objects: a Deployment whose Available
 * condition is True can still run old pods (Available only says "enough pods serve"), so
 * the counts decide, not the condition alone.
 *
 * Deployment, in kstatus's order (the first failing rule is the reason):
 *   observedGeneration < generation         the controller has not seen the spec yet
 *   Progressing reason ProgressDeadlineExceeded   failed (done stays false)
 *   status.replicas < spec.replicas          LessReplicas
 *   updatedReplicas < spec.replicas          LessUpdated
 *   status.replicas > spec.replicas          ExtraPods (old pods still terminating)
 *   availableReplicas < updatedReplicas      LessAvailable
 *   readyReplicas < spec.replicas            LessReady
 *   Progressing not NewReplicaSetAvailable   (only when a progress deadline is set)
 *   Available condition not True
 * DaemonSet: generation and observedGeneration must both be set (the controller always
 * sets them once it acted), then desiredNumberScheduled compared with current, updated,
 * available and ready.
 */
import { conditionsOf, type KubeObject } from "../kube/object.ts";

export interface Rollout {
  /** The current generation runs everywhere it should, and nothing older is left. */
  readonly done: boolean;
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  /** One CamelCase word: Current when done, else the first kstatus rule that fails. */
  readonly reason: string;
  readonly message: string;
  /** The controller gave up (Deployment progress deadline exceeded). */
  readonly failed: boolean;
}

type Fields = Record<string, unknown>;

const INT32_MAX = 2147483647;

function int(object: unknown, path: readonly string[], fallback: number): number {
  let node: unknown = object;
  for (const key of path) node = (node as Fields | undefined)?.[key];
  return typeof node === "number" && Number.isFinite(node) ? node : fallback;
}

function has(object: unknown, path: readonly string[]): boolean {
  return !Number.isNaN(int(object, path, Number.NaN));
}

interface Counts {
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
}

function result(counts: Counts, reason: string, message: string, failed = false): Rollout {
  const { desired, updated, ready, available } = counts;
  return {
    done: reason === "Current",
    failed,
    desired,
    updated,
    ready,
    available,
    reason,
    message,
  };
}

function behind(live: KubeObject): boolean {
  const generation = live.metadata.generation ?? 0;
  return int(live, ["status", "observedGeneration"], 0) < generation;
}

/** A kstatus rule: when it holds, the rollout is not done, for this reason. */
type Rule = readonly [holds: boolean, reason: string, message: () => string];

function firstFailing(counts: Counts, rules: readonly Rule[], doneMessage: string): Rollout {
  const failing = rules.find(([holds]) => holds);
  return failing
    ? result(counts, failing[1], failing[2](), failing[1] === "ProgressDeadlineExceeded")
    : result(counts, "Current", doneMessage);
}

function deploymentRollout(live: KubeObject): Rollout {
  const desired = int(live, ["spec", "replicas"], 1);
  const replicas = int(live, ["status", "replicas"], 0);
  const { updated, ready, available } = {
    updated: int(live, ["status", "updatedReplicas"], 0),
    ready: int(live, ["status", "readyReplicas"], 0),
    available: int(live, ["status", "availableReplicas"], 0),
  };
  const conditions = conditionsOf(live);
  const progressing = conditions.find((c) => c.type === "Progressing");
  // Without a progress deadline the controller never sets Progressing (kstatus's rule).
  const deadline = int(live, ["spec", "progressDeadlineSeconds"], INT32_MAX) !== INT32_MAX;
  const newSetAvailable =
    progressing?.status === "True" && progressing.reason === "NewReplicaSetAvailable";
  const rules: Rule[] = [
    [
      behind(live),
      "ObservedGenerationBehind",
      () => "the Deployment controller has not seen it yet",
    ],
    [
      progressing?.reason === "ProgressDeadlineExceeded",
      "ProgressDeadlineExceeded",
      () => progressing?.message ?? "progress deadline exceeded",
    ],
    [replicas < desired, "LessReplicas", () => `replicas ${replicas}/${desired}`],
    [updated < desired, "LessUpdated", () => `updated ${updated}/${desired}`],
    [replicas > desired, "ExtraPods", () => `${replicas - desired} old pod(s) pending termination`],
    [available < updated, "LessAvailable", () => `available ${available}/${updated}`],
    [ready < desired, "LessReady", () => `ready ${ready}/${desired}`],
    [
      deadline && !newSetAvailable,
      "ReplicaSetNotAvailable",
      () => "the new ReplicaSet is not available yet",
    ],
    [
      !conditions.some((c) => c.type === "Available" && c.status === "True"),
      "DeploymentNotAvailable",
      () => "the Deployment is not Available",
    ],
  ];
  return firstFailing(
    { desired, updated, ready, available },
    rules,
    `${desired}/${desired} updated and available`,
  );
}

function daemonSetRollout(live: KubeObject): Rollout {
  const desired = int(live, ["status", "desiredNumberScheduled"], -1);
  const current = int(live, ["status", "currentNumberScheduled"], 0);
  const counts: Counts = {
    desired: Math.max(desired, 0),
    updated: int(live, ["status", "updatedNumberScheduled"], 0),
    ready: int(live, ["status", "numberReady"], 0),
    available: int(live, ["status", "numberAvailable"], 0),
  };
  const unseen =
    live.metadata.generation === undefined || !has(live, ["status", "observedGeneration"]);
  const rules: Rule[] = [
    [unseen, "NoObservedGeneration", () => "the DaemonSet controller has not acted yet"],
    [
      behind(live),
      "ObservedGenerationBehind",
      () => "the DaemonSet controller has not seen it yet",
    ],
    [desired === -1, "NoDesiredNumber", () => "no desiredNumberScheduled yet"],
    [current < desired, "LessCurrent", () => `scheduled ${current}/${desired}`],
    [counts.updated < desired, "LessUpdated", () => `updated ${counts.updated}/${desired}`],
    [counts.available < desired, "LessAvailable", () => `available ${counts.available}/${desired}`],
    [counts.ready < desired, "LessReady", () => `ready ${counts.ready}/${desired}`],
  ];
  return firstFailing(counts, rules, `${desired}/${desired} updated and available`);
}

const NONE: Counts = { desired: 0, updated: 0, ready: 0, available: 0 };

/** The rollout of a Deployment or DaemonSet as its controller reports it. */
export function rolloutOf(live: KubeObject | undefined): Rollout {
  if (!live) return result(NONE, "NotFound", "not created yet");
  const rollout = rolloutByKind(live);
  // kstatus: an object being deleted is never Current, whatever its counts say.
  return live.metadata.deletionTimestamp
    ? result(rollout, "Terminating", "being deleted", rollout.failed)
    : rollout;
}

function rolloutByKind(live: KubeObject): Rollout {
  if (live.kind === "Deployment") return deploymentRollout(live);
  if (live.kind === "DaemonSet") return daemonSetRollout(live);
  throw new Error(`rolloutOf: ${live.kind} is not a workload kind the operator rolls out`);
}
