/**
 * The operator survives what production throws at it: the leader process killed outright
 * (the standby takes the Lease and carries on), and the API server restarting in the
 * middle of a reconcile (watches come back, the mesh ends converged).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, inject, it } from "vitest";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { operatorArgs, operatorEnv } from "../../operator/local/background-operator.ts";
import { LocalControlPlane } from "../../operator/local/control-plane.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { MESH_PATH, OperatorHarness, until } from "./operator-harness.ts";

const CRD = fileURLToPath(new URL("../../crds/meshkeeper.dev_meshconfigs.yaml", import.meta.url));
const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "istiod", namespace: "istio-system" },
};

const MESH = {
  apiVersion: "meshkeeper.dev/v1alpha1",
  kind: "MeshConfig",
  metadata: { name: "default" },
  spec: {
    version: "1.31.1",
    controlPlane: { replicas: 1, autoscaling: { enabled: false } },
    gateways: [
      {
        name: "istio-ingressgateway",
        namespace: "istio-ingress",
        type: "ingress",
        replicas: 1,
        autoscaling: { enabled: false },
      },
    ],
  },
};

function operatorProcess(
  kubeconfig: string,
  identity: string,
  leaseNamespace: string,
): ChildProcess {
  return spawn(
    process.execPath,
    operatorArgs(
      kubeconfig,
      "--identity",
      identity,
      "--lease-namespace",
      leaseNamespace,
      "--log-level",
      "warn",
    ),
    { stdio: "ignore", env: operatorEnv() },
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else
      child.once("exit", (code) => {
        resolve(code);
      });
  });
}

describe("high availability", () => {
  it("moves the work to the standby when the leader is killed, and releases the lease on SIGTERM", async () => {
    await installMeshConfigCrd();
    const observer = new OperatorHarness(adminConfig());
    const namespace = uniqueName("leases");
    await observer.applyAsUser({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace },
    });
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "meshkeeper-leader", namespace },
    };
    const holder = async () =>
      (await observer.get<{ spec: { holderIdentity?: string } }>(lease))?.spec.holderIdentity;
    const kubeconfig = inject("cluster").kubeconfig;
    const replicas = {
      a: operatorProcess(kubeconfig, "replica-a", namespace),
      b: operatorProcess(kubeconfig, "replica-b", namespace),
    };
    try {
      const first = await until("a leader", async () => {
        const name = await holder();
        return name === "replica-a" || name === "replica-b" ? name : undefined;
      });
      await observer.applyAsUser(MESH);
      await observer.waitForCondition("Ready", "True");
      const leader = first === "replica-a" ? replicas.a : replicas.b;
      const standby = first === "replica-a" ? "replica-b" : "replica-a";
      leader.kill("SIGKILL");
      await exited(leader);
      await observer.ssa.delete(SERVICE);
      // The standby must wait out the dead leader's 15 s lease, then repair the drift.
      await until("the standby to lead", async () => (await holder()) === standby, 25_000);
      await until(
        "the Service to be restored by the new leader",
        () => observer.get(SERVICE),
        10_000,
      );
      await observer.client.send({ method: "DELETE", path: MESH_PATH });
      await until(
        "the MeshConfig to be torn down",
        async () => !(await observer.meshConfig()),
        30_000,
      );
      const survivor = first === "replica-a" ? replicas.b : replicas.a;
      survivor.kill("SIGTERM");
      expect(await exited(survivor)).toBe(0);
      expect(await holder()).toBe("");
    } finally {
      replicas.a.kill("SIGKILL");
      replicas.b.kill("SIGKILL");
      await observer.ssa.delete({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace },
      });
      observer.client.close();
    }
  }, 90_000);

  it("ends converged when the API server restarts in the middle of a reconcile", async () => {
    const plane = await LocalControlPlane.start();
    const harness = new OperatorHarness(plane.adminConfig(), { resyncMs: 60_000 });
    try {
      await harness.applyAsUser(parse(readFileSync(CRD, "utf8")) as ApplyTarget);
      await until("the MeshConfig CRD to be served", async () => {
        try {
          await harness.client.send({
            method: "GET",
            path: "/apis/meshkeeper.dev/v1alpha1/meshconfigs",
          });
          return true;
        } catch {
          return false;
        }
      });
      await harness.start();
      await harness.applyAsUser(MESH);
      // The first write means a reconcile is running: the CRDs and namespaces are being
      // applied, and the rest of the phases have not happened yet.
      await until("the first reconcile to be under way", () => harness.writes() > 0, 30_000);
      const finishedBeforeRestart = harness.outcomes.length;
      await plane.restartApiserver();
      expect(finishedBeforeRestart, "the restart came after the first reconcile ended").toBe(0);
      const mc = await harness.waitForCondition("Ready", "True", undefined, 60_000);
      expect(harness.condition(mc, "Reconciled")?.status).toBe("True");
      expect(await harness.manager.metrics.text()).toMatch(
        /meshkeeper_watch_restarts_total\{kind="Deployment"\} [1-9]/,
      );
      // The watches are alive again: drift is still repaired.
      await harness.ssa.delete(SERVICE);
      await until(
        "the Service to be restored after the restart",
        () => harness.get(SERVICE),
        10_000,
      );
    } finally {
      await harness.stop();
      await plane.stop();
    }
  }, 120_000);
});
