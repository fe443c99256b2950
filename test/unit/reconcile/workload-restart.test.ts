/**
 * spec.updateStrategy.updateWorkloads, the decisions (workload-restart.ts): which pods want
 * a restart, which workloads restart in which batch, and that a workload restarted for this
 * target is never restarted again for it.
 */
import { describe, expect, it } from "vitest";
import { RESTARTED_FOR_ANNOTATION } from "../../../operator/api/distribution.ts";
import type { KubeObject } from "../../../operator/kube/object.ts";
import {
  controllerOf,
  planRestart,
  RESTARTED_AT_ANNOTATION,
  restartPatch,
  wantsRestart,
  workloadName,
  type RestartTarget,
} from "../../../operator/reconcile/workload-restart.ts";
import { injectedPod } from "../../fixtures/injected-pod.ts";
import { rolledOut } from "./workloads.ts";

const IN_PLACE: RestartTarget = {
  revision: "default",
  version: "1.31.1",
  ours: new Set(["default"]),
};
const CANARY: RestartTarget = {
  revision: "1-31-1",
  version: "1.31.1",
  ours: new Set(["1-31-1", "1-30-5"]),
};

const pod = (revision: string, proxy: string) =>
  injectedPod({ name: "p", namespace: "apps", revision, proxy }) as KubeObject;

function workload(name: string, restartedFor?: string, rolling = false): KubeObject {
  const live = rolledOut(2, rolling ? { observedGeneration: 2 } : {});
  const annotations = restartedFor ? { [RESTARTED_FOR_ANNOTATION]: restartedFor } : {};
  return {
    ...live,
    metadata: { ...live.metadata, name, namespace: "apps" },
    spec: { ...(live.spec as object), template: { metadata: { annotations } } },
  };
}

describe("wantsRestart", () => {
  it.each<[string, RestartTarget, KubeObject, boolean]>([
    ["in place, old proxy", IN_PLACE, pod("default", "1.30.5"), true],
    ["in place, current proxy", IN_PLACE, pod("default", "1.31.1"), false],
    ["in place, a custom proxy tag nobody can compare", IN_PLACE, pod("default", "latest"), false],
    ["revision-based, on the old revision", CANARY, pod("1-30-5", "1.30.5"), true],
    ["revision-based, on the new revision", CANARY, pod("1-31-1", "1.31.1"), false],
    ["another control plane's revision", CANARY, pod("other", "1.20.0"), false],
  ])("%s: %s", (_name, target, p, expected) => {
    expect(wantsRestart(p, target)).toBe(expected);
  });

  it("not a pod nobody injected, nor one being deleted", () => {
    const plain = pod("default", "1.30.5");
    expect(
      wantsRestart({ ...plain, metadata: { ...plain.metadata, annotations: {} } }, IN_PLACE),
    ).toBe(false);
    const deleting = {
      ...plain,
      metadata: { ...plain.metadata, deletionTimestamp: "2026-12-02T00:00:00Z" },
    };
    expect(wantsRestart(deleting, IN_PLACE)).toBe(false);
  });
});

describe("controllerOf", () => {
  it("the controller owner, in the object's namespace; none without one", () => {
    const p = pod("default", "1.30.5");
    const owned = {
      ...p,
      metadata: {
        ...p.metadata,
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "x" },
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "shop-5d9f", controller: true },
        ],
      },
    };
    expect(controllerOf(owned)).toEqual({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "shop-5d9f", namespace: "apps" },
    });
    expect(controllerOf(p)).toBeUndefined();
  });
});

describe("planRestart", () => {
  const names = (list: readonly KubeObject[]) => list.map((w) => w.metadata.name);

  it("the first batch, by name, batchSize at a time", () => {
    const plan = planRestart([workload("c"), workload("a"), workload("b")], IN_PLACE, 2);
    expect(names(plan.restart)).toEqual(["a", "b"]);
    expect(plan.rolling).toEqual([]);
    expect(plan.waiting).toBe(1);
  });

  it("nothing new while a workload restarted for this target still rolls", () => {
    const plan = planRestart(
      [workload("a", "default/1.31.1", true), workload("b"), workload("c")],
      IN_PLACE,
      2,
    );
    expect(plan.restart).toEqual([]);
    expect(names(plan.rolling)).toEqual(["a"]);
    expect(plan.waiting).toBe(2);
  });

  it("once the batch rolled out, the next; restarted ones are not restarted again", () => {
    const plan = planRestart(
      [workload("a", "default/1.31.1"), workload("b", "default/1.31.1"), workload("c")],
      IN_PLACE,
      2,
    );
    expect(names(plan.restart)).toEqual(["c"]);
    expect(plan.waiting).toBe(0);
  });

  it("a workload restarted for an older target is restarted again for the new one", () => {
    const plan = planRestart([workload("a", "default/1.30.5")], IN_PLACE, 1);
    expect(names(plan.restart)).toEqual(["a"]);
  });

  it("everything restarted and rolled out: nothing to do", () => {
    const plan = planRestart([workload("a", "default/1.31.1")], IN_PLACE, 1);
    expect(plan).toEqual({ restart: [], rolling: [], waiting: 0 });
  });

  it("only kinds whose rollout can be followed", () => {
    const stateful = { ...workload("s"), kind: "StatefulSet" };
    expect(planRestart([stateful], IN_PLACE, 1).restart).toEqual([]);
  });
});

describe("restartPatch", () => {
  it("what kubectl rollout restart writes, and the target", () => {
    const patch = restartPatch(CANARY, new Date("2026-12-02T05:00:00.123Z"));
    expect(patch.spec.template.metadata.annotations).toEqual({
      [RESTARTED_AT_ANNOTATION]: "2026-12-02T05:00:00Z",
      [RESTARTED_FOR_ANNOTATION]: "1-31-1/1.31.1",
    });
    expect(workloadName(workload("a"))).toBe("Deployment apps/a");
  });
});
