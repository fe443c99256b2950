/**
 * status.rollout: which workload is rolling out and since when. `since` holds while the
 * same workload keeps rolling (its counts may change: a legitimate write), moves when
 * another one starts, and the field goes once nothing rolls; an unchanged rollout is an
 * unchanged status (no write).
 */
import { describe, expect, it } from "vitest";
import type { Observation } from "../../../operator/reconcile/observe.ts";
import { rollingOut } from "../../../operator/reconcile/observe.ts";
import { identity } from "../../../operator/reconcile/identity.ts";
import { nextStatus, sameStatus } from "../../../operator/reconcile/status.ts";
import { renderSample } from "./samples.ts";
import { rolledOut } from "./workloads.ts";

const T0 = new Date("2026-12-02T01:00:00Z");
const T1 = new Date("2026-12-02T01:00:30Z");
const T2 = new Date("2026-12-02T01:01:00Z");

const observed = (rollout?: Observation["rollout"]): Observation => ({
  conditions: [],
  gateways: {},
  ...(rollout ? { rollout } : {}),
});
const ISTIOD = "istiod istio-system/istiod";
const GATEWAY = "gateway istio-ingress/istio-ingressgateway";

describe("status.rollout", () => {
  it("keeps since while the same workload rolls, moves it for the next, clears it when done", () => {
    const base = { generation: 2, conditions: [] };
    const first = nextStatus({
      ...base,
      previous: undefined,
      observation: observed({ component: ISTIOD, message: "updated 0/2" }),
      now: T0,
    });
    expect(first.rollout).toEqual({
      component: ISTIOD,
      since: "2026-12-02T01:00:00Z",
      message: "updated 0/2",
    });
    const tick = nextStatus({
      ...base,
      previous: first,
      observation: observed({ component: ISTIOD, message: "updated 1/2" }),
      now: T1,
    });
    expect(tick.rollout).toEqual({ ...first.rollout, message: "updated 1/2" });
    const same = nextStatus({
      ...base,
      previous: tick,
      observation: observed({ component: ISTIOD, message: "updated 1/2" }),
      now: T2,
    });
    expect(sameStatus(tick, same)).toBe(true);
    const gateways = nextStatus({
      ...base,
      previous: same,
      observation: observed({ component: GATEWAY, message: "updated 0/1" }),
      now: T2,
    });
    expect(gateways.rollout).toMatchObject({ component: GATEWAY, since: "2026-12-02T01:01:00Z" });
    const done = nextStatus({ ...base, previous: gateways, observation: observed(), now: T2 });
    expect(done).not.toHaveProperty("rollout");
    // A run that observed nothing (stalled, paused) keeps what was last seen.
    const stalled = nextStatus({ ...base, previous: gateways, now: T2 });
    expect(stalled.rollout).toEqual(gateways.rollout);
  });
});

describe("rollingOut", () => {
  const production = renderSample("production.yaml");
  const key = (kind: string, namespace: string, name: string) => {
    const found = production.find(
      (r) =>
        r.object.kind === kind &&
        r.object.metadata.namespace === namespace &&
        r.object.metadata.name === name,
    );
    if (!found) throw new Error(`${name} not rendered`);
    return identity(found.object);
  };
  const istiod = key("Deployment", "istio-system", "istiod");
  const ingress = key("Deployment", "istio-ingress", "istio-ingressgateway");
  const egress = key("Deployment", "istio-egress", "istio-egressgateway");

  it("names istiod first, then the gateways, and nothing once all rolled out", () => {
    const midway = rolledOut(2, { updated: 1, progressing: "ReplicaSetUpdated" });
    expect(
      rollingOut(
        production,
        new Map([
          [istiod, midway],
          [ingress, midway],
          [egress, rolledOut(2)],
        ]),
      ),
    ).toEqual({ component: "istiod istio-system/istiod", message: "updated 1/2" });
    expect(
      rollingOut(
        production,
        new Map([
          [istiod, rolledOut(2)],
          [ingress, midway],
          [egress, rolledOut(2)],
        ]),
      ),
    ).toEqual({ component: GATEWAY, message: "updated 1/2" });
    const all = new Map([
      [istiod, rolledOut(2)],
      [ingress, rolledOut(2)],
      [egress, rolledOut(2)],
    ]);
    expect(rollingOut(production, all)).toBeUndefined();
  });
});
