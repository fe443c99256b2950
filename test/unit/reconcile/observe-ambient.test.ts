/**
 * The node agents' conditions and counts come from their DaemonSets' rollouts by kstatus's
 * rules: ready only when every scheduled node runs the current generation, updated and
 * available; absent in sidecar mode; and Ready (every component condition True) waits for
 * them in ambient mode.
 */
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { identity } from "../../../operator/reconcile/identity.ts";
import { observe } from "../../../operator/reconcile/observe.ts";
import { observeNodeAgents } from "../../../operator/reconcile/observe-ambient.ts";
import type { RenderedObject } from "../../../operator/render/render.ts";
import { renderSample } from "./samples.ts";
import { daemonSetRolledOut } from "./workloads.ts";

const ambient = renderSample("ambient.yaml");
const minimal = renderSample("minimal.yaml");

function key(rendered: readonly RenderedObject[], name: string): string {
  const found = rendered.find(
    (r) => r.object.kind === "DaemonSet" && r.object.metadata.name === name,
  );
  if (!found) throw new Error(`DaemonSet ${name} not rendered`);
  return identity(found.object);
}

const ZTUNNEL = key(ambient, "ztunnel");
const CNI = key(ambient, "istio-cni-node");

const live = (entries: [string, KubeObject][]) => new Map(entries);
const byType = (conditions: { type: string; status: string; reason: string }[]) =>
  Object.fromEntries(conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe("observeNodeAgents", () => {
  it("observes nothing in sidecar mode", () => {
    expect(observeNodeAgents(minimal, live([]))).toEqual({ conditions: [] });
    expect(observe(minimal, live([]), false).conditions.map((c) => c.type)).not.toContain(
      "ZtunnelReady",
    );
  });

  const cases: [string, KubeObject | undefined, string][] = [
    ["not created yet", undefined, "False/NotFound"],
    ["rolled out on 3 nodes", daemonSetRolledOut(3), "True/Available"],
    ["on no node at all (nothing to run)", daemonSetRolledOut(0), "True/Available"],
    [
      "controller has not seen generation 3",
      daemonSetRolledOut(3, { generation: 3 }),
      "False/ObservedGenerationBehind",
    ],
    ["one node still runs the old pod", daemonSetRolledOut(3, { updated: 2 }), "False/LessUpdated"],
    ["new pods not available yet", daemonSetRolledOut(3, { available: 1 }), "False/LessAvailable"],
    ["a node not scheduled yet", daemonSetRolledOut(3, { current: 2 }), "False/LessCurrent"],
  ];
  for (const [what, ztunnel, expected] of cases) {
    it(`ztunnel ${what}: ${expected}`, () => {
      const observed = observeNodeAgents(
        ambient,
        live([
          ...(ztunnel ? [[ZTUNNEL, ztunnel] as [string, KubeObject]] : []),
          [CNI, daemonSetRolledOut(3)],
        ]),
      );
      expect(byType(observed.conditions)).toEqual({
        ZtunnelReady: expected,
        CNIReady: "True/Available",
      });
    });
  }

  it("reports the counts under components.ztunnel and components.cni", () => {
    const observation = observe(
      ambient,
      live([
        [ZTUNNEL, daemonSetRolledOut(4, { updated: 3, ready: 3, available: 3 })],
        [CNI, daemonSetRolledOut(4)],
      ]),
      false,
    );
    expect(observation.ztunnel).toEqual({ ready: 3, updated: 3, available: 3, desired: 4 });
    expect(observation.cni).toEqual({ ready: 4, updated: 4, available: 4, desired: 4 });
    const ztunnel = observation.conditions.find((c) => c.type === "ZtunnelReady");
    expect(ztunnel).toMatchObject({ status: "False", reason: "LessUpdated" });
    expect(ztunnel?.message).toContain("istio-system/ztunnel");
  });
});
