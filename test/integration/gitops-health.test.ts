/**
 * What GitOps tools make of the status the operator really writes. The real operator runs
 * against the shared API server; at each point of a MeshConfig's life the LIVE object is
 * handed to Argo CD's health check (config/argocd/health-meshconfig.lua, in Argo CD's Lua
 * VM and sandbox: tools/argocd-health) and to kstatus (tools/kstatus-check, cli-utils' status.Compute):
 *
 *   fresh, not seen yet   Progressing  InProgress   (observedGeneration -1)
 *   converging            Progressing  InProgress   (Reconciling=True)
 *   Ready                 Healthy      Current
 *   new generation        Progressing  InProgress   (observedGeneration stale)
 *   Stalled               Degraded     Failed       (UnsupportedVersion)
 *   Paused                Suspended    Current      (Reconciled=False/Paused, Ready=True)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshConfigObject } from "../../operator/reconcile/mesh-config-object.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import {
  argoHealthChecker,
  kstatusChecker,
  type Health,
  type KStatus,
} from "../unit/argocd/health-harness.ts";
import { adminConfig } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";

let harness: OperatorHarness;
let kstatus: (object: unknown) => KStatus;
let argoHealth: (object: unknown) => Health;

interface Verdict {
  readonly argo: string;
  readonly kstatus: string;
}

function verdict(mc: unknown): Verdict {
  return { argo: argoHealth(mc).status, kstatus: kstatus(mc).status };
}

function conditionStatus(mc: MeshConfigObject, type: string): string | undefined {
  return mc.status?.conditions?.find((c) => c.type === type)?.status;
}

/** Server-side apply as a person would, returning the object as stored at that instant. */
async function apply(object: ReturnType<typeof mesh>): Promise<MeshConfigObject> {
  return harness.client.send<MeshConfigObject>({
    method: "PATCH",
    path: MESH_PATH,
    body: object,
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: "kubectl", force: "true" },
  });
}

async function live(): Promise<MeshConfigObject> {
  const mc = await harness.meshConfig();
  if (!mc) throw new Error("the MeshConfig is gone");
  return mc;
}

beforeAll(async () => {
  await installMeshConfigCrd();
  [kstatus, argoHealth] = await Promise.all([kstatusChecker(), argoHealthChecker()]);
  harness = new OperatorHarness(adminConfig());
  // A MeshConfig left behind may carry the operator's finalizer: only a running operator
  // removes it, so clean up with one before this file's operator (not yet started) begins.
  if (await harness.meshConfig()) {
    const cleaner = await new OperatorHarness(adminConfig()).start();
    await cleaner.deleteMeshConfig();
    await cleaner.stop();
  }
}, 300_000);

afterAll(async () => {
  await harness.deleteMeshConfig();
  await harness.stop();
});

describe("Argo CD health and kstatus of the live MeshConfig", () => {
  it("are Progressing and InProgress for a MeshConfig the operator has not seen", async () => {
    const fresh = await apply(mesh());
    // The CRD's status default: -1 until the operator has seen the object.
    expect(fresh.status?.observedGeneration).toBe(-1);
    expect(fresh.metadata.generation).toBe(1);
    expect(verdict(fresh)).toEqual({ argo: "Progressing", kstatus: "InProgress" });
    expect(verdict(await live())).toEqual({ argo: "Progressing", kstatus: "InProgress" });
  });

  it("stay Progressing and InProgress while converging, and turn Healthy and Current at Ready", async () => {
    const seen = new Map<string, MeshConfigObject>();
    await harness.start();
    const ready = await until(
      "Ready=True",
      async () => {
        const mc = await live();
        seen.set(String(mc.metadata.resourceVersion), mc);
        const current = mc.status?.observedGeneration === mc.metadata.generation;
        return current && conditionStatus(mc, "Ready") === "True" ? mc : undefined;
      },
      60_000,
    );
    const converging = [...seen.values()].filter(
      (mc) =>
        mc.status?.observedGeneration === mc.metadata.generation &&
        conditionStatus(mc, "Reconciling") === "True",
    );
    // The operator writes Reconciling=True before istiod is Available: we must have seen it.
    expect(converging.length).toBeGreaterThan(0);
    // Every version before Ready, whatever the operator was doing, reads as work to wait for.
    for (const mc of seen.values()) {
      if (mc === ready) continue;
      expect(verdict(mc), JSON.stringify(mc.status)).toEqual({
        argo: "Progressing",
        kstatus: "InProgress",
      });
    }
    expect(argoHealth(converging[0]).message).toMatch(/\w+: .+/);
    expect(verdict(ready)).toEqual({ argo: "Healthy", kstatus: "Current" });
    expect(argoHealth(ready).message).toContain("MeshReady");
  });

  it("are Progressing and InProgress for a new generation, then Degraded and Failed when Stalled", async () => {
    const before = await live();
    const stale = await apply(mesh({ version: "1.20.0" }));
    // As stored at the apply: a new generation, the status still about the last one.
    expect(stale.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);
    expect(stale.status?.observedGeneration).toBe(before.metadata.generation);
    expect(conditionStatus(stale, "Ready")).toBe("True");
    expect(verdict(stale)).toEqual({ argo: "Progressing", kstatus: "InProgress" });
    expect(argoHealth(stale).message).toContain(`generation ${stale.metadata.generation ?? 0}`);

    const stalled = await harness.waitForCondition("Stalled", "True", "UnsupportedVersion");
    expect(verdict(stalled)).toEqual({ argo: "Degraded", kstatus: "Failed" });
    const message = stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "";
    expect(argoHealth(stalled).message).toBe(`UnsupportedVersion: ${message}`);
    expect(kstatus(stalled).message).toBe(message);

    await apply(mesh());
    const healed = await harness.waitForCondition("Ready", "True");
    await harness.waitForCondition("Reconciling", "False");
    expect(verdict(await live())).toEqual({ argo: "Healthy", kstatus: "Current" });
    expect(healed.metadata.generation).toBe((stale.metadata.generation ?? 0) + 1);
  });

  it("are Suspended and Current while paused, Healthy and Current when resumed", async () => {
    await harness.edit(mesh(), { metadata: { annotations: { "meshkeeper.dev/paused": "true" } } });
    const paused = await harness.waitForCondition("Reconciled", "False", "Paused");
    // The mesh still serves (Ready=True) and nothing is in progress: kstatus calls it Current.
    expect(conditionStatus(paused, "Ready")).toBe("True");
    expect(verdict(paused)).toEqual({ argo: "Suspended", kstatus: "Current" });
    expect(argoHealth(paused).message).toContain("meshkeeper.dev/paused");

    await harness.edit(mesh(), { metadata: { annotations: { "meshkeeper.dev/paused": null } } });
    await harness.waitForCondition("Reconciled", "True");
    await harness.waitForCondition("Ready", "True");
    expect(verdict(await live())).toEqual({ argo: "Healthy", kstatus: "Current" });
  });
});
