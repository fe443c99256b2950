import { describe, expect, it } from "vitest";
import { rolloutOf } from "../../../operator/reconcile/rollout.ts";
import { daemonSet, daemonSetRolledOut, deployment, rolledOut } from "./workloads.ts";

describe("rolloutOf: Deployments, by kstatus's rules in kstatus's order", () => {
  const cases = [
    { name: "finished rollout", live: rolledOut(2), reason: "Current" },
    {
      name: "controller has not seen the new generation",
      live: rolledOut(2, { generation: 4 }),
      reason: "ObservedGenerationBehind",
    },
    {
      name: "progress deadline exceeded",
      live: rolledOut(2, { progressing: "ProgressDeadlineExceeded", updated: 1 }),
      reason: "ProgressDeadlineExceeded",
    },
    {
      name: "scaling up: fewer pods than wanted",
      live: rolledOut(3, { pods: 2, updated: 2, ready: 2, available: 2 }),
      reason: "LessReplicas",
    },
    {
      // The case of issue 14: Available=True with 2 of 4 pods on the new template.
      name: "mid-rollout, Available=True but half the pods old",
      live: rolledOut(4, { pods: 4, updated: 2, progressing: "ReplicaSetUpdated" }),
      reason: "LessUpdated",
    },
    {
      name: "surge: every pod updated, an old one still terminating",
      live: rolledOut(2, { pods: 3, progressing: "ReplicaSetUpdated" }),
      reason: "ExtraPods",
    },
    {
      name: "new pods not available yet",
      live: rolledOut(2, { available: 1, ready: 1 }),
      reason: "LessAvailable",
    },
    {
      name: "available but not ready (counts the controller can report in between)",
      live: rolledOut(2, { ready: 1 }),
      reason: "LessReady",
    },
    {
      name: "counts done, the new ReplicaSet not yet reported available",
      live: rolledOut(2, { progressing: "ReplicaSetUpdated" }),
      reason: "ReplicaSetNotAvailable",
    },
    {
      name: "no progress deadline: Progressing is never set, counts and Available decide",
      live: deployment({
        generation: 1,
        observedGeneration: 1,
        replicas: 1,
        pods: 1,
        updated: 1,
        ready: 1,
        available: 1,
        availableCondition: "True",
      }),
      reason: "Current",
    },
    {
      name: "Available condition False",
      live: rolledOut(2, { availableCondition: "False" }),
      reason: "DeploymentNotAvailable",
    },
    {
      name: "no status at all",
      live: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", generation: 1 } },
      reason: "ObservedGenerationBehind",
    },
    {
      name: "spec.replicas unset means one",
      live: deployment({
        generation: 1,
        observedGeneration: 1,
        pods: 1,
        updated: 1,
        ready: 1,
        available: 1,
        availableCondition: "True",
      }),
      reason: "Current",
    },
    { name: "being deleted", live: rolledOut(1, { deleting: true }), reason: "Terminating" },
    { name: "not created", live: undefined, reason: "NotFound" },
  ];
  it.each(cases)("$name: $reason", ({ live, reason }) => {
    const rollout = rolloutOf(live);
    expect(rollout.reason).toBe(reason);
    expect(rollout.done).toBe(reason === "Current");
    expect(rollout.failed).toBe(reason === "ProgressDeadlineExceeded");
    expect(rollout.message).not.toBe("");
  });

  it("reports the counts the Deployment controller wrote", () => {
    const rollout = rolloutOf(
      rolledOut(4, {
        pods: 5,
        updated: 2,
        ready: 4,
        available: 3,
        progressing: "ReplicaSetUpdated",
      }),
    );
    expect(rollout).toMatchObject({ desired: 4, updated: 2, ready: 4, available: 3 });
    expect(rollout.message).toBe("updated 2/4");
  });

  it("a scale to zero is done once the pods are gone", () => {
    expect(rolloutOf(rolledOut(0)).done).toBe(true);
    expect(rolloutOf(rolledOut(0, { pods: 1 })).reason).toBe("ExtraPods");
  });
});

describe("rolloutOf: DaemonSets", () => {
  const cases = [
    { name: "finished rollout", live: daemonSetRolledOut(3), reason: "Current" },
    {
      name: "controller never acted (no observedGeneration)",
      live: daemonSet({ generation: 1, desired: 3 }),
      reason: "NoObservedGeneration",
    },
    {
      name: "no generation",
      live: daemonSet({ observedGeneration: 1, desired: 3 }),
      reason: "NoObservedGeneration",
    },
    {
      name: "new generation not seen",
      live: daemonSetRolledOut(3, { generation: 3 }),
      reason: "ObservedGenerationBehind",
    },
    {
      name: "no desiredNumberScheduled yet",
      live: daemonSet({ generation: 1, observedGeneration: 1 }),
      reason: "NoDesiredNumber",
    },
    {
      name: "not scheduled everywhere",
      live: daemonSetRolledOut(3, { current: 2 }),
      reason: "LessCurrent",
    },
    { name: "mid-rollout", live: daemonSetRolledOut(3, { updated: 1 }), reason: "LessUpdated" },
    {
      name: "updated, not available",
      live: daemonSetRolledOut(3, { available: 2, ready: 2 }),
      reason: "LessAvailable",
    },
    {
      name: "available, not ready",
      live: daemonSetRolledOut(3, { ready: 2 }),
      reason: "LessReady",
    },
    { name: "no nodes to run on", live: daemonSetRolledOut(0), reason: "Current" },
  ];
  it.each(cases)("$name: $reason", ({ live, reason }) => {
    const rollout = rolloutOf(live);
    expect(rollout.reason).toBe(reason);
    expect(rollout.done).toBe(reason === "Current");
  });

  it("reports desiredNumberScheduled as desired", () => {
    expect(rolloutOf(daemonSetRolledOut(3, { updated: 1, ready: 2, available: 2 }))).toMatchObject({
      desired: 3,
      updated: 1,
      ready: 2,
      available: 2,
      reason: "LessUpdated",
    });
  });
});

describe("rolloutOf: other kinds", () => {
  it("refuses a kind it has no rules for", () => {
    expect(() =>
      rolloutOf({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "s" } }),
    ).toThrow(/StatefulSet/);
  });
});
