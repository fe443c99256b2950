/**
 * kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute, what kpt, Flux and the
 * cli-utils status poller use) on the same MeshConfigs as the Argo CD health check:
 * InProgress while Reconciling or the generation is stale, Failed when Stalled, Current
 * when the operator is done. tools/kstatus-check is built once into the cache.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { kstatusChecker, type KStatus } from "./health-harness.ts";
import { CASES } from "./statuses.ts";

let kstatus: (object: unknown) => KStatus;

beforeAll(async () => {
  // A cold build downloads cli-utils' modules and compiles apimachinery: a minute or so.
  kstatus = await kstatusChecker();
}, 300_000);

describe("kstatus of a MeshConfig", () => {
  for (const { name, object, kstatus: expected } of CASES) {
    it(`${name}: ${expected[0]}`, () => {
      const result = kstatus(object);
      expect(result.status).toBe(expected[0]);
      expect(result.message).toContain(expected[1]);
    });
  }

  it("is Terminating while the MeshConfig is being deleted", () => {
    const [ready] = CASES.filter((c) => c.argo[0] === "Healthy");
    const object = structuredClone(ready?.object ?? {}) as { metadata: Record<string, unknown> };
    object.metadata.deletionTimestamp = "2026-11-22T10:05:00Z";
    expect(kstatus(object).status).toBe("Terminating");
  });
});
