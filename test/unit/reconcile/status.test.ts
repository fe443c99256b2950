import { describe, expect, it } from "vitest";
import type { MeshConfigStatus } from "../../../operator/api/mesh-config-status.ts";
import type { DesiredCondition } from "../../../operator/reconcile/conditions.ts";
import type { Observation } from "../../../operator/reconcile/observe.ts";
import { findCondition, nextStatus, sameStatus } from "../../../operator/reconcile/status.ts";
import { summaryConditions } from "../../../operator/reconcile/summary.ts";

const T0 = new Date("2026-11-22T10:00:00.500Z");
const T1 = new Date("2026-11-22T11:00:00Z");
const CA = {
  rootNotAfter: "2036-11-20T10:00:00Z",
  intermediateNotAfter: "2027-11-22T10:00:00Z",
};

const istiodDown: DesiredCondition = {
  type: "ControlPlaneReady",
  status: "False",
  reason: "IstiodNotAvailable",
  message: "waiting for istiod to become Available",
};
const istiodUp: DesiredCondition = {
  type: "ControlPlaneReady",
  status: "True",
  reason: "Available",
  message: "istiod is available",
};
const observation: Observation = {
  conditions: [istiodUp],
  istiod: { ready: 2, updated: 2, available: 2, desired: 2 },
  gateways: {
    "istio-ingress/istio-ingressgateway": { ready: 1, updated: 2, available: 1, desired: 2 },
  },
};

const waiting = summaryConditions(
  { kind: "Waiting", reason: "IstiodNotAvailable", message: "istiod: waiting" },
  [istiodDown],
);
const applied = summaryConditions({ kind: "Applied" }, [istiodUp]);

describe("nextStatus", () => {
  it("writes the generation, settled conditions, version, components and object count", () => {
    const status = nextStatus({
      previous: undefined,
      generation: 4,
      conditions: applied,
      observation,
      istioVersion: "1.31.1",
      managedObjects: 97,
      now: T0,
    });
    expect(status).toEqual({
      observedGeneration: 4,
      conditions: applied.map((c) => ({
        ...c,
        observedGeneration: 4,
        lastTransitionTime: "2026-11-22T10:00:00Z",
      })),
      istioVersion: "1.31.1",
      components: {
        istiod: { ready: 2, updated: 2, available: 2, desired: 2 },
        gateways: {
          "istio-ingress/istio-ingressgateway": { ready: 1, updated: 2, available: 1, desired: 2 },
        },
      },
      managedObjects: 97,
    });
  });

  it("keeps the transition time of conditions whose status holds, and moves the others", () => {
    const before = nextStatus({ previous: undefined, generation: 1, conditions: waiting, now: T0 });
    const after = nextStatus({ previous: before, generation: 2, conditions: applied, now: T1 });
    const time = (type: string) => findCondition(after, type)?.lastTransitionTime;
    // Stalled stays False: its time holds. The rest changed status.
    expect(time("Stalled")).toBe("2026-11-22T10:00:00Z");
    expect(time("Ready")).toBe("2026-11-22T11:00:00Z");
    expect(time("Reconciled")).toBe("2026-11-22T11:00:00Z");
    expect(time("Reconciling")).toBe("2026-11-22T11:00:00Z");
    expect(time("ControlPlaneReady")).toBe("2026-11-22T11:00:00Z");
    expect(findCondition(after, "Stalled")).toMatchObject({
      reason: "Applied",
      observedGeneration: 2,
    });
  });

  it("carries over CA info, components and object count it was not given", () => {
    const previous: Partial<MeshConfigStatus> = {
      observedGeneration: 1,
      conditions: [],
      certificateAuthority: CA,
      components: { istiod: { ready: 1, updated: 1, available: 1, desired: 2 } },
      managedObjects: 50,
    };
    const status = nextStatus({ previous, generation: 2, conditions: waiting, now: T1 });
    expect(status.certificateAuthority).toEqual(CA);
    expect(status.components).toEqual({
      istiod: { ready: 1, updated: 1, available: 1, desired: 2 },
    });
    expect(status.managedObjects).toBe(50);
    expect(status.observedGeneration).toBe(2);

    const observed = nextStatus({
      previous,
      generation: 2,
      conditions: applied,
      observation: { conditions: [], gateways: {} },
      managedObjects: 0,
      now: T1,
    });
    // A fresh observation replaces the old components; CA info is still kept.
    expect(observed.components).toEqual({});
    expect(observed.managedObjects).toBe(0);
    expect(observed.certificateAuthority).toEqual(CA);
  });

  it("yields the same status again when nothing changed, so nothing is written", () => {
    const input = {
      generation: 3,
      conditions: applied,
      observation,
      istioVersion: "1.31.1",
      managedObjects: 97,
    };
    const first = nextStatus({ previous: undefined, ...input, now: T0 });
    const second = nextStatus({ previous: first, ...input, now: T1 });
    expect(sameStatus(first, second)).toBe(true);
    const third = nextStatus({ previous: second, ...input, managedObjects: 98, now: T1 });
    expect(sameStatus(second, third)).toBe(false);
  });
});

describe("sameStatus", () => {
  it("ignores key order at every depth, but not array order or values", () => {
    const a = {
      observedGeneration: 1,
      components: { istiod: { ready: 1, updated: 1, available: 1, desired: 2 } },
      list: [1, 2],
    };
    const b = {
      list: [1, 2],
      components: { istiod: { desired: 2, available: 1, updated: 1, ready: 1 } },
      observedGeneration: 1,
    };
    expect(sameStatus(a, b)).toBe(true);
    expect(sameStatus(a, { ...b, list: [2, 1] })).toBe(false);
    expect(sameStatus(a, { ...b, observedGeneration: 2 })).toBe(false);
    expect(sameStatus(a, { ...b, managedObjects: 1 })).toBe(false);
  });

  it("treats a missing status as empty", () => {
    expect(sameStatus(undefined, {})).toBe(true);
    expect(sameStatus(undefined, undefined)).toBe(true);
    expect(sameStatus(undefined, { observedGeneration: -1 })).toBe(false);
  });
});

describe("findCondition", () => {
  it("finds a condition by type, or nothing", () => {
    const status = nextStatus({ previous: undefined, generation: 1, conditions: waiting, now: T0 });
    expect(findCondition(status, "Reconciling")).toMatchObject({
      status: "True",
      reason: "IstiodNotAvailable",
    });
    expect(findCondition(status, "CAReady")).toBeUndefined();
    expect(findCondition(undefined, "Ready")).toBeUndefined();
  });
});
