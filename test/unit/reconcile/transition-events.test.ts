import { describe, expect, it } from "vitest";
import type { Condition } from "../../../operator/api/mesh-config-status.ts";
import { transitionEvents } from "../../../operator/reconcile/transition-events.ts";

type Summary = Pick<Condition, "type" | "status" | "reason" | "message">;

const ready: Summary = { type: "Ready", status: "True", reason: "MeshReady", message: "serving" };
const notReady: Summary = {
  type: "Ready",
  status: "False",
  reason: "IstiodNotAvailable",
  message: "waiting for istiod to become Available",
};
const stalled: Summary = {
  type: "Stalled",
  status: "True",
  reason: "ProgressDeadlineExceeded",
  message: "the mesh is not available after 600 s",
};
const notStalled: Summary = { type: "Stalled", status: "False", reason: "Applied", message: "ok" };

describe("transitionEvents", () => {
  it("is a Normal MeshReady event when Ready goes False -> True", () => {
    expect(transitionEvents([notReady, notStalled], [ready, notStalled])).toEqual([
      { type: "Normal", reason: "MeshReady", note: "serving" },
    ]);
  });

  it("is a MeshReady event too the first time the mesh is Ready", () => {
    expect(transitionEvents([], [ready])).toEqual([
      { type: "Normal", reason: "MeshReady", note: "serving" },
    ]);
  });

  it("is a Warning with Ready's reason when Ready goes True -> False", () => {
    expect(transitionEvents([ready, notStalled], [notReady, notStalled])).toEqual([
      {
        type: "Warning",
        reason: "IstiodNotAvailable",
        note: "waiting for istiod to become Available",
      },
    ]);
  });

  it("says nothing when a mesh that was never Ready is not Ready", () => {
    expect(transitionEvents([], [notReady, notStalled])).toEqual([]);
    expect(transitionEvents([{ ...notReady, status: "Unknown" }], [notReady])).toEqual([]);
  });

  it("is a Warning with Stalled's reason when Stalled becomes True, once", () => {
    expect(transitionEvents([notReady, notStalled], [notReady, stalled])).toEqual([
      {
        type: "Warning",
        reason: "ProgressDeadlineExceeded",
        note: "the mesh is not available after 600 s",
      },
    ]);
    expect(transitionEvents([], [notReady, stalled])).toHaveLength(1);
    expect(
      transitionEvents([notReady, stalled], [notReady, { ...stalled, message: "still" }]),
    ).toEqual([]);
  });

  it("gives both events when the mesh stops being Ready and stalls at once", () => {
    expect(transitionEvents([ready, notStalled], [notReady, stalled])).toEqual([
      {
        type: "Warning",
        reason: "IstiodNotAvailable",
        note: "waiting for istiod to become Available",
      },
      {
        type: "Warning",
        reason: "ProgressDeadlineExceeded",
        note: "the mesh is not available after 600 s",
      },
    ]);
  });

  it("says nothing when no status changes, even if reasons and messages do", () => {
    expect(transitionEvents([ready, notStalled], [ready, notStalled])).toEqual([]);
    expect(
      transitionEvents(
        [notReady, notStalled],
        [{ ...notReady, reason: "GatewaysNotAvailable", message: "x" }, notStalled],
      ),
    ).toEqual([]);
  });

  it("gives no event for Stalled clearing: only the Ready that follows is told", () => {
    expect(transitionEvents([notReady, stalled], [notReady, notStalled])).toEqual([]);
    expect(transitionEvents([notReady, stalled], [ready, notStalled])).toEqual([
      { type: "Normal", reason: "MeshReady", note: "serving" },
    ]);
  });

  it("is a Warning once when the root CA comes within renewBefore of its end", () => {
    const expiring: Summary = {
      type: "CACertificateExpiring",
      status: "True",
      reason: "RootExpiringSoon",
      message: "the root CA expires on 2027-01-01",
    };
    expect(transitionEvents([ready, notStalled], [ready, notStalled, expiring])).toEqual([
      { type: "Warning", reason: "RootExpiringSoon", note: "the root CA expires on 2027-01-01" },
    ]);
    expect(transitionEvents([ready, expiring], [ready, expiring])).toEqual([]);
  });
});
