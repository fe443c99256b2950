/**
 * The world of the reconcile() table test: a fake cluster (fake-cluster.ts), a clock the
 * cases move, the events recorded, and the reconciler wired to them as the manager wires
 * the real one.
 */
import { pino } from "pino";
import { API_VERSION, KIND } from "../../../operator/api/distribution.ts";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { generateCa } from "../../../operator/pki/generate.ts";
import type { MeshConfigObject } from "../../../operator/reconcile/mesh-config-object.ts";
import { Reconciler, type ReconcileOutcome } from "../../../operator/reconcile/reconciler.ts";
import { FakeCluster } from "./fake-cluster.ts";

export const T0 = new Date("2026-11-22T10:00:00Z");
export const HOUR = 3_600_000;

export class World {
  now = T0;
  readonly cluster = new FakeCluster({ now: () => this.now });
  readonly events: { type: string; reason: string; note: string }[] = [];
  reconciler = this.newReconciler();

  newReconciler(): Reconciler {
    return new Reconciler({
      cache: this.cluster,
      meshConfigs: this.cluster,
      api: this.cluster,
      log: pino({ level: "silent" }),
      clock: { now: () => this.now },
      teardownTimeoutMs: 120_000,
      events: {
        record: (_regarding, type, reason, note) => {
          this.events.push({ type, reason, note });
        },
      },
    });
  }

  async meshConfig(spec: unknown, annotations: Record<string, string> = {}): Promise<void> {
    const live = await this.cluster.get<MeshConfigObject>(ref);
    await this.cluster.put({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        ...live?.metadata,
        name: "default",
        annotations: { ...live?.metadata.annotations, ...annotations },
      },
      spec,
      ...(live?.status ? { status: live.status } : {}),
    });
  }

  reconcile(): Promise<ReconcileOutcome> {
    return this.reconciler.reconcile("default");
  }

  /** Runs until the reconciler has nothing left to do (or a run limit says it never ends). */
  async converge(limit = 5): Promise<ReconcileOutcome> {
    let outcome = await this.reconcile();
    for (let i = 1; i < limit && outcome.result === "requeue"; i += 1)
      outcome = await this.reconcile();
    return outcome;
  }

  async status() {
    const mc = await this.cluster.get<MeshConfigObject>(ref);
    const conditions = Object.fromEntries(
      (mc?.status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]),
    );
    return { mc, conditions };
  }

  find(kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.cluster
      .all()
      .find(
        (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
      );
  }
}

export const ref = { apiVersion: API_VERSION, kind: KIND, metadata: { name: "default" } };
export const MINIMAL = { version: "1.31.1" };
export const WITH_GATEWAY = {
  version: "1.31.1",
  gateways: [{ name: "istio-ingressgateway", namespace: "istio-ingress", type: "ingress" }],
};
export const userCa = (name: string) => ({
  version: "1.31.1",
  certificateAuthority: { type: "Secret", secret: { name } },
});

export async function caSecretData(now: Date, intermediateHours = 8760) {
  const bundle = await generateCa({
    organization: "cluster.local",
    rootValidityMs: 87_600 * HOUR,
    intermediateValidityMs: intermediateHours * HOUR,
    keyAlgorithm: "ECDSA-P256",
    now,
  });
  const base64 = (data: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
    );
  return { bundle, data: base64(bundle.cacerts) };
}

export const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "istio-system" },
  type: "Opaque",
  data,
});
