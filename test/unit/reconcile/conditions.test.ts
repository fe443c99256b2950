import { describe, expect, it } from "vitest";
import { meshConfigStatus } from "../../../operator/api/mesh-config-status.ts";
import { sameConditions, settleConditions } from "../../../operator/reconcile/conditions.ts";
import { summaryConditions, type ComponentCondition } from "../../../operator/reconcile/summary.ts";

const T0 = new Date("2026-11-22T10:00:00.123Z");
const T1 = new Date("2026-11-22T10:05:00Z");
const istiodUp: ComponentCondition = {
  type: "ControlPlaneReady",
  status: "True",
  reason: "Available",
  message: "istiod: 2/2 ready",
};
const istiodDown: ComponentCondition = {
  type: "ControlPlaneReady",
  status: "False",
  reason: "IstiodNotAvailable",
  message: "istiod: 0/2 ready",
};

describe("conditions", () => {
  it("keeps lastTransitionTime while the status holds, and moves it when it changes", () => {
    const first = settleConditions(
      [],
      summaryConditions({ kind: "Waiting", reason: "IstiodStarting", message: "waiting" }, [
        istiodDown,
      ]),
      1,
      T0,
    );
    expect(first.find((c) => c.type === "Ready")?.lastTransitionTime).toBe("2026-11-22T10:00:00Z");
    const sameStatus = settleConditions(
      first,
      summaryConditions({ kind: "Waiting", reason: "StillStarting", message: "still" }, [
        istiodDown,
      ]),
      1,
      T1,
    );
    expect(sameStatus.find((c) => c.type === "Ready")?.lastTransitionTime).toBe(
      "2026-11-22T10:00:00Z",
    );
    expect(sameStatus.find((c) => c.type === "Reconciling")?.reason).toBe("StillStarting");
    const ready = settleConditions(
      sameStatus,
      summaryConditions({ kind: "Applied" }, [istiodUp]),
      2,
      T1,
    );
    expect(ready.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      lastTransitionTime: "2026-11-22T10:05:00Z",
      observedGeneration: 2,
    });
  });

  it("writes the summary first, in a fixed order, in the shape the CRD accepts", () => {
    const conditions = settleConditions(
      [],
      summaryConditions({ kind: "Applied" }, [istiodUp]),
      3,
      T0,
    );
    expect(conditions.map((c) => c.type)).toEqual([
      "Ready",
      "Reconciled",
      "Reconciling",
      "Stalled",
      "ControlPlaneReady",
    ]);
    expect(meshConfigStatus.safeParse({ observedGeneration: 3, conditions }).success).toBe(true);
  });

  it("sees an unchanged status as unchanged, so nothing is written", () => {
    const observe = () => summaryConditions({ kind: "Applied" }, [istiodUp]);
    const a = settleConditions([], observe(), 1, T0);
    const b = settleConditions(a, observe(), 1, T1);
    expect(sameConditions(a, b)).toBe(true);
    const c = settleConditions(b, summaryConditions({ kind: "Applied" }, [istiodDown]), 1, T1);
    expect(sameConditions(b, c)).toBe(false);
    // Key order does not matter, content does.
    const reordered = a.map(({ type, ...rest }) => ({ ...rest, type }));
    expect(sameConditions(a, reordered)).toBe(true);
  });
});

describe("summary conditions", () => {
  const byType = (outcome: Parameters<typeof summaryConditions>[0], components = [istiodUp]) =>
    Object.fromEntries(summaryConditions(outcome, components).map((c) => [c.type, c]));

  it("is Ready and Reconciled once applied with every component ready", () => {
    const c = byType({ kind: "Applied" });
    expect([
      c.Ready?.status,
      c.Reconciled?.status,
      c.Reconciling?.status,
      c.Stalled?.status,
    ]).toEqual(["True", "True", "False", "False"]);
  });

  it("is Reconciling (abnormal-true) while waiting or retrying", () => {
    const waiting = byType({ kind: "Waiting", reason: "IstiodStarting", message: "istiod 0/1" }, [
      istiodDown,
    ]);
    expect(waiting.Reconciling).toMatchObject({ status: "True", reason: "IstiodStarting" });
    expect(waiting.Ready).toMatchObject({ status: "False", reason: "IstiodNotAvailable" });
    const failed = byType({ kind: "Failed", reason: "ApplyFailed", message: "409 Conflict" });
    expect([failed.Reconciled?.status, failed.Reconciling?.status, failed.Stalled?.status]).toEqual(
      ["False", "True", "False"],
    );
  });

  it("is Stalled, with the terminal reason, when a person must act", () => {
    for (const reason of [
      "InvalidSpec",
      "UnsupportedVersion",
      "ProgressDeadlineExceeded",
    ] as const) {
      const c = byType({ kind: "Stalled", reason, message: "fix it" });
      expect(c.Stalled).toMatchObject({ status: "True", reason });
      expect(c.Reconciling?.status).toBe("False");
      expect(c.Reconciled?.status).toBe("False");
    }
  });
});
