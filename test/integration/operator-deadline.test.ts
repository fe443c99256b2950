/**
 * The progress deadline: a mesh that cannot become available (istiod's pods can never be
 * scheduled) turns Stalled/ProgressDeadlineExceeded instead of Reconciling for ever, which
 * Argo CD's health check reads as Degraded and kstatus as Failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness } from "./operator-harness.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { argoHealthChecker, kstatusChecker } from "../unit/argocd/health-harness.ts";

let harness: OperatorHarness;

beforeAll(async () => {
  await installMeshConfigCrd();
  harness = await new OperatorHarness(adminConfig(), { progressDeadlineMs: 2_000 }).start();
});

afterAll(async () => {
  await harness.deleteMeshConfig();
  await harness.stop();
});

describe("the progress deadline", () => {
  it("turns a mesh that cannot become available into Stalled/ProgressDeadlineExceeded", async () => {
    // No node has this label: istiod's pods stay Pending for ever.
    await harness.applyAsUser(
      mesh({
        gateways: [],
        controlPlane: {
          replicas: 1,
          autoscaling: { enabled: false },
          nodeSelector: { "example.com/no-such-node": "true" },
        },
      }),
    );
    const mc = await harness.waitForCondition(
      "Stalled",
      "True",
      "ProgressDeadlineExceeded",
      30_000,
    );
    expect(harness.condition(mc, "Ready")?.status).toBe("False");
    expect(harness.condition(mc, "Stalled")?.message).toContain("istiod");
    // The status as written, read by the GitOps tools.
    const health = (await argoHealthChecker())(mc);
    expect(health.status).toBe("Degraded");
    expect(health.message).toMatch(/^ProgressDeadlineExceeded: /);
    expect((await kstatusChecker())(mc).status).toBe("Failed");
  });
});
