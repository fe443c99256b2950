import { describe, expect, it } from "vitest";
import { meshConfigStatus } from "../../../operator/api/mesh-config-status.ts";
import { age, isReady, statusTable } from "../../../operator/cli/status-table.ts";

const NOW = new Date("2026-11-22T12:00:00Z");

function condition(type: string, status: string, reason: string, at: string, message: string) {
  return { type, status, reason, message, lastTransitionTime: at, observedGeneration: 3 };
}

// Written in the operator's shape, deliberately not in display order.
const status = {
  observedGeneration: 3,
  istioVersion: "1.31.1",
  conditions: [
    condition(
      "ControlPlaneReady",
      "True",
      "Available",
      "2026-11-22T09:58:00Z",
      "istiod: 2/2 ready",
    ),
    condition("Stalled", "False", "Applied", "2026-11-22T11:59:55Z", "nothing needs a person"),
    condition("InjectorReady", "True", "WebhookServing", "2026-11-22T09:59:00Z", "injector up"),
    condition(
      "GatewaysReady",
      "True",
      "Available",
      "2026-11-18T10:00:00Z",
      "2 gateways\nall available",
    ),
    condition("CAReady", "True", "Issued", "2026-11-22T11:57:00Z", "intermediate valid"),
    condition("PoliciesApplied", "True", "Applied", "2026-11-22T11:59:00Z", "mTLS STRICT"),
    condition("Reconciling", "False", "Applied", "2026-11-22T11:59:55Z", "nothing left to do"),
    condition("Reconciled", "True", "Applied", "2026-11-22T11:59:55Z", "every object applied"),
    condition("Ready", "True", "MeshReady", "2026-11-22T10:00:00Z", "the mesh is serving"),
  ],
  components: {
    istiod: { ready: 2, updated: 2, available: 2, desired: 2 },
    gateways: {
      "istio-ingress/istio-ingressgateway": { ready: 3, updated: 1, available: 3, desired: 3 },
      "istio-egress/istio-egressgateway": { ready: 2, updated: 2, available: 2, desired: 2 },
    },
  },
  certificateAuthority: {
    rootNotAfter: "2036-11-20T10:00:00Z",
    intermediateNotAfter: "2027-11-22T10:00:00Z",
  },
  managedObjects: 57,
};

const meshConfig = {
  apiVersion: "meshkeeper.dev/v1alpha1",
  kind: "MeshConfig",
  metadata: { name: "default", generation: 3 },
  spec: { version: "1.31.1" },
  status,
};

describe("statusTable", () => {
  it("uses a status the schema accepts", () => {
    expect(meshConfigStatus.safeParse(status).success).toBe(true);
  });

  it("prints the lines a person looks for, aligned", () => {
    const lines = statusTable(meshConfig, NOW).split("\n");
    expect(lines[0]).toBe("MeshConfig default   Istio 1.31.1   generation 3, observed 3");
    expect(lines).toContain("TYPE                STATUS   REASON           AGE   MESSAGE");
    expect(lines).toContain(
      "Ready               True     MeshReady        2h    the mesh is serving",
    );
    expect(lines).toContain(
      "Stalled             False    Applied          5s    nothing needs a person",
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^GatewaysReady +True +Available +4d +2 gateways all available$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^istiod +2\/2 +2 +2$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^gateway istio-ingress\/istio-ingressgateway +3\/3 +1 +3$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^managed objects +57$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^CA root +expires 2036-11-20T10:00:00Z \(in 10y\)$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^CA intermediate +expires 2027-11-22T10:00:00Z \(in 364d\)$/),
    );
    expect(lines.filter((l) => l !== l.trimEnd())).toEqual([]);
  });

  it("puts Ready, Reconciled, Reconciling, Stalled first; the whole table", () => {
    expect(statusTable(meshConfig, NOW)).toMatchInlineSnapshot(`
      "MeshConfig default   Istio 1.31.1   generation 3, observed 3

      CONDITIONS
      TYPE                STATUS   REASON           AGE   MESSAGE
      Ready               True     MeshReady        2h    the mesh is serving
      Reconciled          True     Applied          5s    every object applied
      Reconciling         False    Applied          5s    nothing left to do
      Stalled             False    Applied          5s    nothing needs a person
      ControlPlaneReady   True     Available        2h    istiod: 2/2 ready
      InjectorReady       True     WebhookServing   2h    injector up
      GatewaysReady       True     Available        4d    2 gateways all available
      CAReady             True     Issued           3m    intermediate valid
      PoliciesApplied     True     Applied          1m    mTLS STRICT

      COMPONENTS
      NAME                                         READY   UP-TO-DATE   AVAILABLE
      istiod                                       2/2     2            2
      gateway istio-egress/istio-egressgateway     2/2     2            2
      gateway istio-ingress/istio-ingressgateway   3/3     1            3

      managed objects   57
      CA root           expires 2036-11-20T10:00:00Z (in 10y)
      CA intermediate   expires 2027-11-22T10:00:00Z (in 364d)
      "
    `);
  });

  it("says when the operator has not seen the object yet", () => {
    const fresh = { metadata: { name: "default", generation: 1 }, spec: { version: "1.31.1" } };
    expect(statusTable(fresh, NOW)).toBe(
      "MeshConfig default   Istio 1.31.1   generation 1, not observed yet\n" +
        "status: not yet seen by the operator; is it running?\n",
    );
    expect(statusTable({ ...fresh, status: { observedGeneration: -1 } }, NOW)).toContain(
      "not yet seen by the operator",
    );
    expect(isReady(fresh)).toBe(false);
  });

  it("marks a generation the operator has not caught up with, and is not ready for it", () => {
    const newer = { ...meshConfig, metadata: { name: "default", generation: 4 } };
    expect(statusTable(newer, NOW).split("\n")[0]).toBe(
      "MeshConfig default   Istio 1.31.1   generation 4, observed 3 (not caught up yet)",
    );
    expect(isReady(meshConfig)).toBe(true);
    expect(isReady(newer)).toBe(false);
  });

  it("shows a stalled mesh as not ready, with what to do", () => {
    const stalled = {
      ...meshConfig,
      status: {
        ...status,
        conditions: [
          condition("Ready", "False", "IstiodNotAvailable", "2026-11-22T11:00:00Z", "istiod 0/2"),
          condition(
            "Stalled",
            "True",
            "UnsupportedVersion",
            "2026-11-22T11:00:00Z",
            "Istio 1.19.0 is not supported: use 1.29 to 1.31",
          ),
        ],
      },
    };
    const lines = statusTable(stalled, NOW).split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^Stalled +True +UnsupportedVersion +1h +Istio 1.19.0 is not supported: use 1.29 to 1.31$/,
      ),
    );
    expect(isReady(stalled)).toBe(false);
  });

  it("says how long ago a certificate expired", () => {
    const expired = {
      ...meshConfig,
      status: { ...status, certificateAuthority: { rootNotAfter: "2026-11-20T10:00:00Z" } },
    };
    expect(statusTable(expired, NOW)).toMatch(
      /^CA root +expired 2026-11-20T10:00:00Z \(2d ago\)$/m,
    );
  });
});

describe("age", () => {
  it.each([
    ["2026-11-22T11:59:55Z", "5s"],
    ["2026-11-22T11:57:00Z", "3m"],
    ["2026-11-22T10:00:00Z", "2h"],
    ["2026-11-18T12:00:00Z", "4d"],
    ["2024-11-22T12:00:00Z", "2y"],
    ["2026-11-22T12:00:00.500Z", "0s"],
    ["2026-11-22T12:05:00Z", "<invalid>"],
  ])("%s is %s old", (since, expected) => {
    expect(age(since, NOW)).toBe(expected);
  });
});

describe("statusTable: revisions and the data plane", () => {
  it("lists each revision with its tag, pods and outdated proxies, parsed by the status schema", () => {
    const revisions = [
      {
        name: "1-31-1",
        version: "1.31.1",
        ready: true,
        tags: ["default"],
        pods: 4,
        outdatedProxies: 1,
      },
      { name: "1-30-5", version: "1.30.5", ready: true, tags: [], pods: 7, outdatedProxies: 0 },
    ];
    const rolledOut = (n: number) => ({ ready: n, updated: n, available: n, desired: n });
    const components = { istiod: rolledOut(2), gateways: { "istio-ingress/gw": rolledOut(1) } };
    const parsed = meshConfigStatus.parse({ ...status, components, revisions });
    const text = statusTable({ ...meshConfig, status: parsed }, NOW);
    const lines = text.split("\n");
    const at = lines.indexOf("REVISIONS");
    expect(at).toBeGreaterThan(lines.indexOf("COMPONENTS"));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "NAME     VERSION   READY   TAGS      PODS   OUTDATED PROXIES",
      "1-31-1   1.31.1    True    default   4      1",
      "1-30-5   1.30.5    True    -         7      0",
    ]);
  });

  it("prints no REVISIONS section when status has none", () => {
    expect(statusTable(meshConfig, NOW)).not.toContain("REVISIONS");
  });
});
