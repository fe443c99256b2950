import { describe, expect, it } from "vitest";
import type { DesiredCondition } from "../../../operator/reconcile/conditions.ts";
import { outcomeOf } from "../../../operator/reconcile/outcome.ts";
import {
  PAUSED_ANNOTATION,
  summaryConditions,
  type ComponentCondition,
  type Outcome,
} from "../../../operator/reconcile/summary.ts";

const istiodUp: ComponentCondition = {
  type: "ControlPlaneReady",
  status: "True",
  reason: "Available",
  message: "istiod is available",
};
const gatewaysDown: ComponentCondition = {
  type: "GatewaysReady",
  status: "False",
  reason: "GatewaysNotAvailable",
  message: "waiting for Deployment istio-ingress/istio-ingressgateway to become Available",
};

const summary = (outcome: Outcome, components: readonly ComponentCondition[]) => {
  const conditions = summaryConditions(outcome, components);
  const byType = Object.fromEntries(conditions.map(({ type, ...rest }) => [type, rest]));
  return { conditions, byType };
};

describe("outcomeOf", () => {
  it("is Applied when every phase is done", () => {
    expect(outcomeOf({ kind: "done", writes: 3 }, [istiodUp], false, 600_000)).toEqual({
      kind: "Applied",
    });
  });

  it("is Waiting, with the phase's name in the message, when a gate is closed", () => {
    expect(
      outcomeOf(
        {
          kind: "waiting",
          phase: 3,
          reason: "IstiodNotAvailable",
          message: "waiting for Deployment istio-system/istiod to become Available",
          writes: 0,
        },
        [],
        false,
        600_000,
      ),
    ).toEqual({
      kind: "Waiting",
      reason: "IstiodNotAvailable",
      message: "istiod: waiting for Deployment istio-system/istiod to become Available",
    });
    expect(
      outcomeOf(
        {
          kind: "waiting",
          phase: 0,
          reason: "CRDsNotEstablished",
          message: "waiting for Istio's CRDs",
          writes: 45,
        },
        [],
        false,
        600_000,
      ),
    ).toMatchObject({ kind: "Waiting", message: "namespaces and CRDs: waiting for Istio's CRDs" });
  });

  it("is Stalled/ProgressDeadlineExceeded past the deadline, naming what blocks, whatever the phases did", () => {
    const components: DesiredCondition[] = [istiodUp, gatewaysDown];
    const expected: Outcome = {
      kind: "Stalled",
      reason: "ProgressDeadlineExceeded",
      message:
        "the mesh is not available after 600 s: waiting for Deployment istio-ingress/istio-ingressgateway to become Available; check the Deployments' events",
    };
    expect(outcomeOf({ kind: "done", writes: 0 }, components, true, 600_000)).toEqual(expected);
    expect(
      outcomeOf(
        { kind: "waiting", phase: 3, reason: "IstiodNotAvailable", message: "m", writes: 0 },
        components,
        true,
        600_000,
      ),
    ).toEqual(expected);
    expect(outcomeOf({ kind: "done", writes: 0 }, components, true, 90_500)).toMatchObject({
      message: expect.stringMatching(/^the mesh is not available after 91 s: /) as unknown,
    });
  });
});

describe("summaryConditions", () => {
  it("is Reconciled False/Paused, Reconciling False and Stalled False when paused", () => {
    const { byType } = summary({ kind: "Paused" }, [istiodUp]);
    expect(byType.Reconciled).toEqual({
      status: "False",
      reason: "Paused",
      message: `reconciliation is paused: remove the annotation ${PAUSED_ANNOTATION} to resume`,
    });
    expect(byType.Reconciling).toEqual({
      status: "False",
      reason: "Paused",
      message: "paused by a person",
    });
    expect(byType.Stalled).toEqual({
      status: "False",
      reason: "Paused",
      message: "paused, not stuck",
    });
    expect(PAUSED_ANNOTATION).toBe("meshkeeper.dev/paused");
  });

  it("keeps a paused mesh's readiness from its components", () => {
    const { byType } = summary({ kind: "Paused" }, [istiodUp, gatewaysDown]);
    expect(byType.Ready).toEqual({
      status: "False",
      reason: "GatewaysNotAvailable",
      message: "waiting for Deployment istio-ingress/istio-ingressgateway to become Available",
    });
  });

  it("keeps Reconciling True (kstatus InProgress) after Applied while a component is not ready", () => {
    const { conditions, byType } = summary({ kind: "Applied" }, [istiodUp, gatewaysDown]);
    expect(conditions.map((c) => c.type)).toEqual([
      "Ready",
      "Reconciled",
      "Reconciling",
      "Stalled",
      "ControlPlaneReady",
      "GatewaysReady",
    ]);
    expect(byType.Ready).toMatchObject({ status: "False", reason: "GatewaysNotAvailable" });
    expect(byType.Reconciled).toEqual({
      status: "True",
      reason: "Applied",
      message: "every object of this generation is applied",
    });
    expect(byType.Reconciling).toEqual({
      status: "True",
      reason: "GatewaysNotAvailable",
      message: "waiting for Deployment istio-ingress/istio-ingressgateway to become Available",
    });
    expect(byType.Stalled).toEqual({
      status: "False",
      reason: "Progressing",
      message: "the operator keeps watching",
    });
  });

  it("is Ready MeshReady once applied with every component ready", () => {
    const { byType } = summary({ kind: "Applied" }, [istiodUp]);
    expect(byType.Ready).toEqual({
      status: "True",
      reason: "MeshReady",
      message: "istiod, the injector and every gateway are serving",
    });
    expect(byType.Reconciling).toMatchObject({ status: "False", reason: "Applied" });
  });

  it("is Ready False for the outcome's reason when a Stalled spec has no components", () => {
    const outcome: Outcome = {
      kind: "Stalled",
      reason: "InvalidSpec",
      message: "the spec is invalid and nothing was changed: spec.version: Required",
    };
    const { conditions, byType } = summary(outcome, []);
    expect(conditions.map((c) => c.type)).toEqual([
      "Ready",
      "Reconciled",
      "Reconciling",
      "Stalled",
    ]);
    expect(byType.Ready).toEqual({
      status: "False",
      reason: "InvalidSpec",
      message: "the spec is invalid and nothing was changed: spec.version: Required",
    });
    expect(byType.Stalled).toEqual({
      status: "True",
      reason: "InvalidSpec",
      message: outcome.message,
    });
    expect(byType.Reconciling).toEqual({
      status: "False",
      reason: "InvalidSpec",
      message: "stopped until the spec changes",
    });
  });

  it("is Ready False for the reason of a Waiting or Failed outcome with no components", () => {
    expect(
      summary({ kind: "Waiting", reason: "Deleting", message: "tearing the mesh down" }, []).byType
        .Ready,
    ).toEqual({ status: "False", reason: "Deleting", message: "tearing the mesh down" });
    expect(
      summary({ kind: "Failed", reason: "ApplyFailed", message: "409 Conflict" }, []).byType.Ready,
    ).toMatchObject({ status: "False", reason: "ApplyFailed" });
  });
});
