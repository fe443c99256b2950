/**
 * reconcile(), cert-manager style: one table of cases, each a cluster as given, the runs of
 * the reconciler, and what the cluster, the status and the writes must then be. The API
 * server is the in-memory fake of fake-cluster.ts behind the reconciler's narrow
 * interfaces; the cluster tests (test/integration/operator*.test.ts) cover the real one.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { render } from "../../../operator/render/render.ts";
import { ConditionType, EventReason, Reason } from "../../../operator/api/conditions.ts";
import { FINALIZER, PAUSED_ANNOTATION } from "../../../operator/api/distribution.ts";
import { CACERTS_SECRET_NAME, ROOT_CA_SECRET_NAME } from "../../../operator/pki/secret-layout.ts";
import { CA_HASH_ANNOTATION } from "../../../operator/reconcile/ca-status.ts";
import type { ReconcileOutcome } from "../../../operator/reconcile/reconciler.ts";
import {
  caSecretData,
  HOUR,
  MINIMAL,
  ref,
  secret,
  T0,
  userCa,
  WITH_GATEWAY,
  World,
} from "./reconcile-world.ts";

interface Case {
  readonly name: string;
  /** The cluster as the case finds it. */
  readonly given: (world: World) => Promise<void>;
  /** What happens (by default: the reconciler runs until it is done). */
  readonly when?: (world: World) => Promise<ReconcileOutcome>;
  readonly expect: (world: World, outcome: ReconcileOutcome) => Promise<void> | void;
}

const converged = (world: World) => world.converge();

const CASES: Case[] = [
  {
    name: "cold install: every phase applied, a CA generated, the mesh Ready",
    given: (w) => w.meshConfig(WITH_GATEWAY),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("success");
      const { mc, conditions } = await w.status();
      expect(conditions[ConditionType.Ready]).toEqual(["True", Reason.MeshReady]);
      expect(conditions[ConditionType.CAReady]).toEqual(["True", Reason.Valid]);
      expect(conditions[ConditionType.Stalled]).toEqual(["False", Reason.Applied]);
      expect(mc?.metadata.finalizers).toContain(FINALIZER);
      expect(w.find("Secret", CACERTS_SECRET_NAME, "istio-system")).toBeDefined();
      expect(w.find("Secret", ROOT_CA_SECRET_NAME, "istio-system")).toBeDefined();
      const istiod = w.find("Deployment", "istiod", "istio-system");
      const template = (
        istiod?.spec as { template: { metadata: { annotations: Record<string, string> } } }
      ).template;
      expect(template.metadata.annotations[CA_HASH_ANNOTATION]).toMatch(/\S/);
      expect(w.find("Deployment", "istio-ingressgateway", "istio-ingress")).toBeDefined();
      expect(
        w.cluster
          .writesOf("create")
          .map((c) => c.name)
          .sort(),
      ).toEqual([CACERTS_SECRET_NAME, ROOT_CA_SECRET_NAME]);
      expect(w.events.map((e) => e.reason)).toEqual([EventReason.CAUpdated, EventReason.MeshReady]);
    },
  },
  {
    name: "no-op: a converged mesh costs zero writes",
    given: async (w) => {
      await w.meshConfig(WITH_GATEWAY);
      await w.converge();
      w.cluster.writes.length = 0;
    },
    when: (w) => w.reconcile(),
    expect: (w, outcome) => {
      expect(outcome).toMatchObject({ result: "success", writes: 0 });
      expect(w.cluster.writes).toEqual([]);
    },
  },
  {
    name: "drift: a hand edit and a deleted object are applied back, nothing else",
    given: async (w) => {
      await w.meshConfig(MINIMAL);
      await w.converge();
      w.cluster.editByHand(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "istio", namespace: "istio-system" },
        },
        ["data", "mesh"],
        "edited: by hand",
      );
      await w.cluster.delete({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "istiod", namespace: "istio-system" },
      });
      w.cluster.writes.length = 0;
    },
    when: (w) => w.reconcile(),
    expect: (w, outcome) => {
      expect(outcome.result).toBe("success");
      expect(w.cluster.writes.map((x) => `${x.verb} ${x.kind} ${x.name}`).sort()).toEqual([
        "apply ConfigMap istio",
        "apply ServiceAccount istiod",
      ]);
      const data = w.find("ConfigMap", "istio", "istio-system")?.data as Record<string, string>;
      expect(data.mesh).not.toContain("edited: by hand");
      expect(w.find("ServiceAccount", "istiod", "istio-system")).toBeDefined();
    },
  },
  {
    name: "prune: a gateway removed from the spec is deleted, a look-alike is not",
    given: async (w) => {
      await w.meshConfig(WITH_GATEWAY);
      await w.converge();
      const ingress = w.find("Deployment", "istio-ingressgateway", "istio-ingress");
      if (!ingress) throw new Error("no ingress gateway");
      // Same labels, another owner: never ours to delete.
      await w.cluster.put({
        ...ingress,
        metadata: {
          ...ingress.metadata,
          name: "look-alike",
          ownerReferences: [],
          managedFields: [],
        },
      });
      await w.meshConfig(MINIMAL);
      w.cluster.writes.length = 0;
    },
    expect: (w, outcome) => {
      expect(outcome.result).toBe("success");
      const deleted = w.cluster.writesOf("delete").map((d) => `${d.kind} ${d.name}`);
      expect(deleted).toContain("Deployment istio-ingressgateway");
      expect(deleted).not.toContain("Deployment look-alike");
      expect(w.find("Deployment", "istio-ingressgateway", "istio-ingress")).toBeUndefined();
      expect(w.find("Deployment", "look-alike", "istio-ingress")).toBeDefined();
    },
  },
  {
    name: "teardown: steps in order, waits on a foreign finalizer, then releases at the deadline",
    given: async (w) => {
      await w.meshConfig(WITH_GATEWAY);
      await w.converge();
      const ingress = w.find("Deployment", "istio-ingressgateway", "istio-ingress");
      if (!ingress) throw new Error("no ingress gateway");
      await w.cluster.put({
        ...ingress,
        metadata: { ...ingress.metadata, finalizers: ["example.com/hold"] },
      });
      await w.cluster.deleteByHand(ref);
    },
    when: async (w) => {
      let outcome = await w.converge(10);
      expect(outcome.result).toBe("requeue");
      const { conditions } = await w.status();
      expect(conditions[ConditionType.Reconciling]).toEqual(["True", Reason.Deleting]);
      expect(w.find("Deployment", "istiod", "istio-system")).toBeDefined();
      expect(w.find("MeshConfig", "default")).toBeDefined();
      w.now = new Date(T0.getTime() + 121_000);
      outcome = await w.reconcile();
      return outcome;
    },
    expect: (w, outcome) => {
      expect(outcome.result).toBe("success");
      expect(w.find("MeshConfig", "default")).toBeUndefined();
      expect(w.events.map((e) => e.reason)).toContain(EventReason.TeardownTimedOut);
      // The foreign finalizer still holds its object; the policies went first.
      expect(
        w.find("Deployment", "istio-ingressgateway", "istio-ingress")?.metadata.deletionTimestamp,
      ).toBeDefined();
      const deletes = w.cluster.writesOf("delete").map((d) => d.kind);
      expect(deletes.indexOf("PeerAuthentication")).toBeLessThan(deletes.indexOf("Deployment"));
      // Namespaces, CRDs and the CA stay (deletionPolicy Retain).
      expect(w.find("Secret", CACERTS_SECRET_NAME, "istio-system")).toBeDefined();
      expect(w.find("Namespace", "istio-system")).toBeDefined();
    },
  },
  {
    name: "CA adopted: a valid cacerts is used as it is, no Secret written",
    given: async (w) => {
      await w.cluster.put(secret(CACERTS_SECRET_NAME, (await caSecretData(T0)).data));
      await w.meshConfig(MINIMAL);
    },
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("success");
      expect((await w.status()).conditions[ConditionType.CAReady]).toEqual(["True", Reason.Valid]);
      expect(w.cluster.writesOf("create")).toEqual([]);
      expect(w.cluster.writesOf("replace")).toEqual([]);
    },
  },
  {
    name: "CA renewed: an intermediate due for renewal is replaced under the same root",
    given: async (w) => {
      await w.meshConfig({
        ...MINIMAL,
        certificateAuthority: { type: "SelfSigned", selfSigned: { intermediateValidity: "2000h" } },
      });
      await w.converge();
      w.now = new Date(T0.getTime() + 1500 * HOUR);
    },
    when: (w) => w.reconcile(),
    expect: async (w) => {
      expect(w.cluster.writesOf("replace").map((r) => r.name)).toEqual([CACERTS_SECRET_NAME]);
      const { mc, conditions } = await w.status();
      expect(conditions[ConditionType.CAReady]).toEqual(["True", Reason.Valid]);
      const ca = mc?.status?.certificateAuthority;
      expect(Date.parse(ca?.intermediateNotAfter ?? "")).toBeGreaterThan(
        T0.getTime() + 3000 * HOUR,
      );
      expect(w.events.filter((e) => e.reason === EventReason.CAUpdated)).toHaveLength(2);
    },
  },
  {
    name: "user CA valid: validated, never written",
    given: async (w) => {
      await w.cluster.put(secret("my-ca", (await caSecretData(T0)).data));
      await w.meshConfig(userCa("my-ca"));
    },
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("success");
      expect((await w.status()).conditions[ConditionType.CAReady]).toEqual(["True", Reason.Valid]);
      expect(w.cluster.writes.filter((x) => x.kind === "Secret")).toEqual([]);
    },
  },
  {
    name: "user CA invalid: the CA gate stays closed, istiod is not applied",
    given: async (w) => {
      await w.cluster.put(
        secret("my-ca", { "ca-cert.pem": Buffer.from("not a PEM").toString("base64") }),
      );
      await w.meshConfig(userCa("my-ca"));
    },
    when: (w) => w.reconcile(),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("requeue");
      const { conditions, mc } = await w.status();
      expect(conditions[ConditionType.CAReady]?.[0]).toBe("False");
      expect(conditions[ConditionType.Reconciling]?.[0]).toBe("True");
      expect(mc?.status?.conditions?.find((c) => c.type === "Reconciling")?.message).toMatch(
        /^CA secret: Secret istio-system\/my-ca/,
      );
      expect(w.find("Deployment", "istiod", "istio-system")).toBeUndefined();
    },
  },
  {
    name: "user CA missing: SecretNotFound, nothing past the namespaces applied",
    given: (w) => w.meshConfig(userCa("absent")),
    when: (w) => w.reconcile(),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("requeue");
      const { conditions } = await w.status();
      expect(conditions[ConditionType.CAReady]).toEqual(["False", Reason.SecretNotFound]);
      expect(conditions[ConditionType.Reconciling]).toEqual(["True", Reason.SecretNotFound]);
      expect(w.find("ServiceAccount", "istiod", "istio-system")).toBeUndefined();
    },
  },
  {
    name: "invalid spec: Stalled InvalidSpec, only status written",
    given: (w) => w.meshConfig({ version: "1.31.1", controlPlane: { replicas: -1 } }),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("stalled");
      const { conditions } = await w.status();
      expect(conditions[ConditionType.Stalled]).toEqual(["True", Reason.InvalidSpec]);
      expect(w.cluster.writes.map((x) => x.verb)).toEqual(["status"]);
    },
  },
  {
    name: "unsupported version: Stalled UnsupportedVersion, only status written",
    given: (w) => w.meshConfig({ version: "1.20.0" }),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("stalled");
      const { conditions } = await w.status();
      expect(conditions[ConditionType.Stalled]).toEqual(["True", Reason.UnsupportedVersion]);
      expect(w.cluster.writes.map((x) => x.verb)).toEqual(["status"]);
    },
  },
  {
    name: "paused: reported as Paused, no object touched, drift left alone",
    given: async (w) => {
      await w.meshConfig(MINIMAL);
      await w.converge();
      await w.meshConfig(MINIMAL, { [PAUSED_ANNOTATION]: "true" });
      await w.cluster.delete({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "istiod", namespace: "istio-system" },
      });
      w.cluster.writes.length = 0;
    },
    when: (w) => w.reconcile(),
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("success");
      const { conditions } = await w.status();
      expect(conditions[ConditionType.Reconciled]).toEqual(["False", Reason.Paused]);
      expect(w.cluster.writes.map((x) => x.verb)).toEqual(["status"]);
      expect(w.find("ServiceAccount", "istiod", "istio-system")).toBeUndefined();
    },
  },
  {
    name: "API error mid-apply: the run fails with it, status says ApplyFailed, the retry converges",
    given: (w) => {
      w.cluster.failOn((verb, object) => verb === "apply" && object.kind === "Deployment");
      return w.meshConfig(MINIMAL);
    },
    when: async (w) => {
      await expect(w.reconcile()).rejects.toThrow(/request timed out \(apply Deployment\)/);
      const { conditions } = await w.status();
      expect(conditions[ConditionType.Reconciled]).toEqual(["False", Reason.ApplyFailed]);
      expect(conditions[ConditionType.Reconciling]).toEqual(["True", Reason.ApplyFailed]);
      w.cluster.failOn(undefined);
      return w.converge();
    },
    expect: async (w, outcome) => {
      expect(outcome.result).toBe("success");
      expect((await w.status()).conditions[ConditionType.Ready]).toEqual([
        "True",
        Reason.MeshReady,
      ]);
    },
  },
];

describe("reconcile()", () => {
  // Compiling the templates and loading Istio's CRDs happens once per process, not per case.
  beforeAll(() => {
    const validation = validateSpec(WITH_GATEWAY);
    if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
    render(validation.spec);
  });
  for (const c of CASES) {
    it(c.name, async () => {
      const world = new World();
      await c.given(world);
      const outcome = await (c.when ?? converged)(world);
      await c.expect(world, outcome);
    });
  }
});
