/**
 * A spec the API server admits but whose rendered objects would fail at apply (two
 * gateways asking for one node port: node ports are cluster-wide, and no CEL rule can
 * compare every port of every gateway) is reported as Stalled/InvalidSpec, naming both
 * fields, before the operator writes anything; fixing the spec brings the mesh up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness } from "./operator-harness.ts";
import { INGRESS, mesh } from "../fixtures/test-mesh.ts";

let harness: OperatorHarness;

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig()).start();
  await harness.deleteMeshConfig();
});

afterAll(async () => {
  await harness.deleteMeshConfig();
  await harness.stop();
});

/** Writes of anything but the MeshConfig's status and Events, from the operator's /metrics. */
async function objectWrites(): Promise<number> {
  const metrics = await harness.manager.metrics.text();
  return [...metrics.matchAll(/meshkeeper_api_writes_total\{verb="\w+",kind="([^"]+)"\} (\d+)/g)]
    .filter(([, kind]) => kind !== "MeshConfig/status" && kind !== "Event")
    .reduce((sum, [, , n]) => sum + Number(n), 0);
}

const edge = (name: string) => ({
  ...INGRESS,
  name,
  namespace: `clash-${name}`,
  service: { type: "NodePort", ports: [{ name: "http2", port: 80, nodePort: 31080 }] },
});

describe("rendered objects that would clash", () => {
  it("are Stalled/InvalidSpec before any write", async () => {
    const before = await objectWrites();
    await harness.applyAsUser(mesh({ gateways: [edge("edge-a"), edge("edge-b")] }));
    const mc = await harness.waitForCondition("Stalled", "True", "InvalidSpec");
    expect(harness.condition(mc, "Stalled")?.message).toContain(
      "spec.gateways[1].service.ports[0].nodePort: node port 31080 is also taken by spec.gateways[0].service.ports[0] (Service clash-edge-a/edge-a)",
    );
    await sleep(500);
    // Only the status was written: no namespace, no object, not even the ApplySet parent.
    expect((await objectWrites()) - before).toBe(0);
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "clash-edge-a" } };
    expect(await harness.get(namespace)).toBeUndefined();
    expect(
      (await harness.meshConfig())?.metadata.annotations?.[
        "applyset.kubernetes.io/contains-group-kinds"
      ],
    ).toBeUndefined();
  });

  it("converge once the spec is fixed", async () => {
    const fixed = edge("edge-b");
    await harness.applyAsUser(
      mesh({
        gateways: [
          edge("edge-a"),
          {
            ...fixed,
            service: { ...fixed.service, ports: [{ name: "http2", port: 80, nodePort: 31081 }] },
          },
        ],
      }),
    );
    await harness.waitForCondition("Ready", "True", undefined, 180_000);
  }, 240_000);
});
