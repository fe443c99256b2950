/**
 * spec.updateStrategy.updateWorkloads (I/O): after a reconcile whose control plane has
 * rolled out, find the workloads of the injected pods that want a restart (the pods the
 * data-plane count listed; a ReplicaSet's Deployment through its ownerReferences), read
 * them from the API server (user workloads are not watched), and restart the next batch
 * with a merge patch under the operator's field manager. The decisions are
 * workload-restart.ts's; the answer is status.workloadRestart and what was restarted.
 */
import type { Logger } from "pino";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { MeshConfigStatus } from "../api/mesh-config-status.ts";
import { MESH_LABEL } from "../api/distribution.ts";
import { DEFAULT_UPDATE_WORKLOADS_BATCH_SIZE } from "../api/update-strategy.ts";
import type { ObjectWriter } from "../kube/interfaces.ts";
import type { KubeObject, ObjectRef } from "../kube/object.ts";
import { activeRevision } from "../render/revisions.ts";
import type { WriteCounter } from "./applier.ts";
import type { RevisionPlan } from "./revision-plan.ts";
import {
  controllerOf,
  planRestart,
  RESTARTABLE_KINDS,
  restartPatch,
  targetKey,
  wantsRestart,
  workloadName,
  type RestartTarget,
} from "./workload-restart.ts";

/** User workloads are not watched: while a batch rolls, look again this often. */
export const WORKLOAD_RESTART_POLL_MS = 3_000;

export interface RestartInput {
  readonly spec: MeshConfigSpec;
  readonly plan: RevisionPlan;
  /** The injected pods this run counted; undefined when they could not be listed. */
  readonly pods: readonly KubeObject[] | undefined;
  readonly api: ObjectWriter;
  readonly now: Date;
  readonly log: Logger;
  readonly countWrite?: WriteCounter | undefined;
}

export interface RestartOutcome {
  readonly status: MeshConfigStatus["workloadRestart"];
  /** Names of the workloads restarted by this run (for the event). */
  readonly restarted: readonly string[];
  readonly writes: number;
  /** Set while there is more to do or a batch rolls. */
  readonly requeueAfterMs: number | undefined;
}

const refKey = (ref: ObjectRef) => `${ref.kind}/${ref.metadata.namespace}/${ref.metadata.name}`;

/** The restartable workload a pod belongs to: a ReplicaSet's Deployment, or a DaemonSet. */
async function workloadOf(
  pod: KubeObject,
  api: ObjectWriter,
  replicaSets: Map<string, Promise<KubeObject | undefined>>,
): Promise<ObjectRef | undefined> {
  const owner = controllerOf(pod);
  if (!owner) return undefined;
  if (RESTARTABLE_KINDS.has(owner.kind)) return owner;
  if (owner.kind !== "ReplicaSet") return undefined;
  const key = refKey(owner);
  const replicaSet = replicaSets.get(key) ?? api.get(owner);
  replicaSets.set(key, replicaSet);
  const live = await replicaSet;
  const deployment = live && controllerOf(live);
  return deployment?.kind === "Deployment" ? deployment : undefined;
}

/** Workloads of the operator's own (gateways) roll with the version already. */
const ownedByUs = (workload: KubeObject) =>
  workload.metadata.labels?.[MESH_LABEL] !== undefined ||
  (workload.metadata.ownerReferences ?? []).some((o) => o.kind === "MeshConfig");

async function workloadsWanting(
  pods: readonly KubeObject[],
  target: RestartTarget,
  api: ObjectWriter,
): Promise<KubeObject[]> {
  const replicaSets = new Map<string, Promise<KubeObject | undefined>>();
  const refs = new Map<string, ObjectRef>();
  for (const pod of pods.filter((p) => wantsRestart(p, target))) {
    const ref = await workloadOf(pod, api, replicaSets);
    if (ref) refs.set(refKey(ref), ref);
  }
  const live = await Promise.all([...refs.values()].map((ref) => api.get(ref)));
  return live.filter((w): w is KubeObject => w !== undefined && !ownedByUs(w));
}

/** One step of the restart; a no-op answer when it is off or the pods are unknown. */
export async function restartWorkloads(input: RestartInput): Promise<RestartOutcome | undefined> {
  const { spec, plan, pods, api } = input;
  if (!spec.updateStrategy.updateWorkloads || !pods) return undefined;
  const active = activeRevision(spec);
  const target: RestartTarget = {
    revision: active.name,
    version: active.version,
    ours: new Set(plan.revisions.map((r) => r.name)),
  };
  const key = targetKey(target);
  const batchSize =
    spec.updateStrategy.updateWorkloadsBatchSize ?? DEFAULT_UPDATE_WORKLOADS_BATCH_SIZE;
  const next = planRestart(await workloadsWanting(pods, target, api), target, batchSize);
  for (const workload of next.restart) {
    input.log.info({ workload: workloadName(workload), target: key }, "restarting a workload");
    await api.mergePatch(workload, restartPatch(target, input.now));
    input.countWrite?.("update", workload.kind);
  }
  const restarted = next.restart.map(workloadName);
  const rolling = [...next.rolling.map(workloadName), ...restarted].sort();
  return {
    status: { version: key, waiting: next.waiting, rolling },
    restarted,
    writes: restarted.length,
    requeueAfterMs: rolling.length > 0 || next.waiting > 0 ? WORKLOAD_RESTART_POLL_MS : undefined,
  };
}
