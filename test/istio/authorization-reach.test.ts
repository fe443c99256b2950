/**
 * DenyAll has no borrowable hole, on a real istiod's xDS. The operator converges a DenyAll
 * mesh with an ingress gateway in a namespace of its own; a real istiod started with
 * exactly what the operator applied then answers:
 * - the gateway (a router with a Gateway server) gets its ALLOW policy;
 * - a pod in another namespace that copies the gateway's labels gets allow-nothing: its
 *   inbound RBAC filters carry the root namespace's allow-nothing and nothing else;
 * - and the test can see a hole when there is one: an ALLOW policy like the gateway's, put
 *   by hand in the root namespace, does reach the copycat (Istio applies root-namespace
 *   policies mesh-wide), which is why the operator refuses gateways there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { INGRESS } from "../fixtures/test-mesh.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  xdsFor,
  TYPE,
  type ProxyIdentity,
  type RealMesh,
  type XdsDump,
} from "./real-istio.ts";
import { deleteNamespace } from "./workloads.ts";

const GATEWAY_LABELS = { app: INGRESS.name, istio: INGRESS.name.replace(/^istio-/, "") };
const COPYCAT: ProxyIdentity = {
  ip: "10.244.9.9",
  namespace: "copycat",
  workload: "copycat-7d9f8-abcde",
  labels: GATEWAY_LABELS,
  serviceAccount: "default",
};
const GATEWAY: ProxyIdentity = {
  ip: "10.244.9.10",
  namespace: INGRESS.namespace,
  workload: `${INGRESS.name}-5c6d7-fghij`,
  nodeType: "router",
  labels: GATEWAY_LABELS,
  serviceAccount: INGRESS.name,
};

let real: RealMesh;
let istiod: MeshIstiod;

/** Every RBAC filter (network and HTTP) in the listeners, with its policy names. */
function rbacPolicies(dump: XdsDump): string[][] {
  const found: string[][] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    if (value === null || typeof value !== "object") return;
    const node = value as Record<string, unknown>;
    if (typeof node.name === "string" && node.name.endsWith(".rbac")) {
      const config = node.typed_config as { rules?: { policies?: object } } | undefined;
      found.push(Object.keys(config?.rules?.policies ?? {}));
    }
    Object.values(node).forEach(visit);
  };
  visit(dump[TYPE.listener] ?? []);
  return found;
}

beforeAll(async () => {
  real = await convergeMesh({
    security: { authorization: "DenyAll" },
    gateways: [{ ...INGRESS, autoscaling: { enabled: false } }],
  });
  istiod = await startIstiod(real);
  await real.admin.send({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: COPYCAT.namespace } },
  });
  // A server on the gateway, so istiod builds the gateway's listener (and its RBAC filter).
  await real.admin.send({
    method: "POST",
    path: `/apis/networking.istio.io/v1/namespaces/${INGRESS.namespace}/gateways`,
    body: {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "web", namespace: INGRESS.namespace },
      spec: {
        selector: { istio: GATEWAY_LABELS.istio },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      },
    },
  });
}, 300_000);

afterAll(async () => {
  await deleteNamespace(real.admin, COPYCAT.namespace);
  await real.admin.send({
    method: "DELETE",
    path: `/apis/networking.istio.io/v1/namespaces/${INGRESS.namespace}/gateways/web`,
  });
  await istiod.stop();
  await real.stop();
}, 180_000);

describe("DenyAll on a real istiod", () => {
  it("gives the gateway its ALLOW policy", async () => {
    const policies = await eventuallyXds(
      "the gateway's listener with its RBAC filter",
      () => xdsFor(istiod, GATEWAY, "lds"),
      (dump) => {
        const names = rbacPolicies(dump).flat();
        return names.length > 0 ? names : undefined;
      },
    );
    expect(policies).toContain(
      `ns[${INGRESS.namespace}]-policy[meshkeeper-allow-${INGRESS.name}]-rule[0]`,
    );
  });

  it("gives a pod in another namespace that copies the gateway's labels allow-nothing", async () => {
    const filters = await eventuallyXds(
      "the copycat's inbound RBAC filters",
      () => xdsFor(istiod, COPYCAT, "lds"),
      (dump) => {
        const found = rbacPolicies(dump);
        return found.length > 0 ? found : undefined;
      },
    );
    // Every inbound RBAC filter holds only the root namespace's allow-nothing (a policy
    // Istio renders as a rule no request matches): no ALLOW of the gateway reached it.
    const names = new Set(filters.flat());
    expect([...names]).toEqual(["ns[istio-system]-policy[allow-nothing]-rule[0]"]);
  });

  it("would see the hole: an ALLOW policy in the root namespace reaches the copycat", async () => {
    const path = "/apis/security.istio.io/v1/namespaces/istio-system/authorizationpolicies";
    await real.admin.send({
      method: "POST",
      path,
      body: {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "borrowed", namespace: "istio-system" },
        spec: { selector: { matchLabels: GATEWAY_LABELS }, action: "ALLOW", rules: [{}] },
      },
    });
    try {
      const names = await eventuallyXds(
        "the root-namespace policy in the copycat's RBAC filters",
        () => xdsFor(istiod, COPYCAT, "lds"),
        (dump) => {
          const all = rbacPolicies(dump).flat();
          return all.some((n) => n.includes("policy[borrowed]")) ? all : undefined;
        },
      );
      expect(names).toContain("ns[istio-system]-policy[borrowed]-rule[0]");
    } finally {
      await real.admin.send({ method: "DELETE", path: `${path}/borrowed` });
    }
  });
});
