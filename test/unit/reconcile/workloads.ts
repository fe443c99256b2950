/**
 * Live Deployments and DaemonSets as their controllers report them, for table tests of
 * rollout.ts and observe.ts: `rolledOut(n)` is a finished rollout of n replicas, and the
 * overrides describe one moment of a rollout (old pods left, new ones not ready, ...).
 */
import type { KubeObject } from "../../../operator/kube/object.ts";

export interface DeploymentState {
  readonly generation?: number;
  readonly observedGeneration?: number;
  /** spec.replicas; absent leaves it out (the controller's default is 1). */
  readonly replicas?: number;
  /** status.replicas: every pod of the Deployment, old ones included. */
  readonly pods?: number;
  readonly updated?: number;
  readonly ready?: number;
  readonly available?: number;
  /** The Available condition's status; absent leaves the condition out. */
  readonly availableCondition?: "True" | "False";
  /** The Progressing condition's reason (status True), absent leaves it out. */
  readonly progressing?: string;
  readonly progressDeadlineSeconds?: number;
  readonly deleting?: boolean;
}

export function deployment(state: DeploymentState, name = "d"): KubeObject {
  const optional = <T>(key: string, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      ...optional("generation", state.generation),
      ...(state.deleting ? { deletionTimestamp: "2026-12-02T00:00:00Z" } : {}),
    },
    spec: {
      ...optional("replicas", state.replicas),
      ...optional("progressDeadlineSeconds", state.progressDeadlineSeconds),
    },
    status: {
      ...optional("observedGeneration", state.observedGeneration),
      ...optional("replicas", state.pods),
      ...optional("updatedReplicas", state.updated),
      ...optional("readyReplicas", state.ready),
      ...optional("availableReplicas", state.available),
      conditions: [
        ...(state.progressing
          ? [
              {
                type: "Progressing",
                status: state.progressing === "ProgressDeadlineExceeded" ? "False" : "True",
                reason: state.progressing,
                message: `progressing: ${state.progressing}`,
              },
            ]
          : []),
        ...(state.availableCondition
          ? [{ type: "Available", status: state.availableCondition }]
          : []),
      ],
    },
  };
}

/** A Deployment of n replicas whose generation 3 finished rolling out. */
export function rolledOut(n: number, overrides: DeploymentState = {}): KubeObject {
  return deployment({
    generation: 3,
    observedGeneration: 3,
    replicas: n,
    pods: n,
    updated: n,
    ready: n,
    available: n,
    availableCondition: "True",
    progressing: "NewReplicaSetAvailable",
    progressDeadlineSeconds: 600,
    ...overrides,
  });
}

export interface DaemonSetState {
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly desired?: number;
  readonly current?: number;
  readonly updated?: number;
  readonly ready?: number;
  readonly available?: number;
}

export function daemonSet(state: DaemonSetState, name = "ds"): KubeObject {
  const optional = <T>(key: string, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, ...optional("generation", state.generation) },
    status: {
      ...optional("observedGeneration", state.observedGeneration),
      ...optional("desiredNumberScheduled", state.desired),
      ...optional("currentNumberScheduled", state.current),
      ...optional("updatedNumberScheduled", state.updated),
      ...optional("numberReady", state.ready),
      ...optional("numberAvailable", state.available),
    },
  };
}

/** A DaemonSet on n nodes whose generation 2 finished rolling out. */
export function daemonSetRolledOut(n: number, overrides: DaemonSetState = {}): KubeObject {
  return daemonSet({
    generation: 2,
    observedGeneration: 2,
    desired: n,
    current: n,
    updated: n,
    ready: n,
    available: n,
    ...overrides,
  });
}
