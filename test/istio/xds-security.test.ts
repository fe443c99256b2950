/**
 * The mesh's security posture (spec.security) reaches the proxies, on a real istiod's xDS.
 * The operator converges the tests' mesh (mTLS STRICT, authorization DenyAll, an ingress
 * and an egress gateway); the test runs, in namespaces of its own, a server pod behind a
 * Service with an HTTP and a TCP port, and a copycat pod that carries the ingress
 * gateway's labels. Then:
 * - STRICT: the server's virtualInbound listener has no plaintext chain: every chain but
 *   the blackhole matches TLS and terminates it, requiring a client certificate;
 * - DenyAll: every inbound chain of the server runs RBAC that allows nothing;
 * - the gateway's ALLOW policies the operator renders reach the gateway proxy (a router
 *   with its real pod's IP and labels, in its namespace) and allow any request;
 * - a pod in another namespace that copies the gateway's labels still gets allow-nothing
 *   (issue 17: a gateway's ALLOW policy must not be borrowable);
 * - PERMISSIVE (the spec changed, the operator converged): both chains on each port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import { INGRESS, mesh } from "../fixtures/test-mesh.ts";
import {
  allowsNothing,
  chainsForPort,
  filterChains,
  listener,
  listeners,
  rbacFilters,
  type Envoy,
} from "./envoy-config.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
} from "./real-istio.ts";
import { createNamespace, deleteNamespace, exposeService, runPod } from "./workloads.ts";

const namespace = uniqueName("secure");
const copycatNamespace = uniqueName("copycat");
const PORTS = [
  { name: "http-web", port: 80, targetPort: 8080 },
  { name: "tcp-db", port: 5432, targetPort: 5432 },
];
const BLACKHOLE = "virtualInbound-blackhole";

let real: RealMesh;
let istiod: MeshIstiod;
let server: ProxyIdentity;
let copycat: ProxyIdentity;
let gateway: ProxyIdentity;

interface GatewayDeployment {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  };
}

/** The ingress gateway as the operator rolled it out: a real pod with its IP and labels. */
async function runningGateway(): Promise<{ proxy: ProxyIdentity; deployment: GatewayDeployment }> {
  const deployment = await real.admin.send<GatewayDeployment>({
    method: "GET",
    path: `/apis/apps/v1/namespaces/${INGRESS.namespace}/deployments/${INGRESS.name}`,
  });
  const selector = Object.entries(deployment.spec.selector.matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const pod = await until(
    "a running ingress gateway pod",
    async () => {
      const pods = await real.admin.send<{ items: Envoy[] }>({
        method: "GET",
        path: `/api/v1/namespaces/${INGRESS.namespace}/pods`,
        query: { labelSelector: selector },
      });
      return pods.items.find((p) => p.status?.phase === "Running" && p.status?.podIP);
    },
    60_000,
  );
  return {
    deployment,
    proxy: {
      ip: pod.status.podIP as string,
      namespace: INGRESS.namespace,
      workload: pod.metadata.name as string,
      nodeType: "router",
      labels: pod.metadata.labels as Record<string, string>,
      serviceAccount: pod.spec.serviceAccountName as string,
    },
  };
}

/** A Gateway server on the ingress's HTTP port, so istiod builds the gateway a listener. */
async function gatewayServer(selector: Record<string, string>): Promise<void> {
  const service = await real.admin.send<{ spec: { ports: { name: string; port: number }[] } }>({
    method: "GET",
    path: `/api/v1/namespaces/${INGRESS.namespace}/services/${INGRESS.name}`,
  });
  const http = service.spec.ports.find((p) => p.name.startsWith("http"));
  if (!http) throw new Error(`Service ${INGRESS.namespace}/${INGRESS.name} has no http port`);
  await real.harness.applyAsUser({
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "security-test", namespace: INGRESS.namespace },
    spec: {
      selector,
      servers: [{ port: { number: http.port, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    },
  });
}

beforeAll(async () => {
  real = await convergeMesh();
  istiod = await startIstiod(real);
  await createNamespace(real.admin, namespace);
  server = await runPod(real.admin, {
    namespace,
    name: "server",
    labels: { app: "server" },
    serviceAccount: "server",
    ports: [8080, 5432],
  });
  await exposeService(real.admin, namespace, "server", { app: "server" }, PORTS);
  const ingress = await runningGateway();
  gateway = ingress.proxy;
  await gatewayServer(ingress.deployment.spec.selector.matchLabels);
  await createNamespace(real.admin, copycatNamespace);
  copycat = await runPod(real.admin, {
    namespace: copycatNamespace,
    name: "copycat",
    labels: ingress.deployment.spec.template.metadata.labels,
    ports: [8080],
  });
  await exposeService(
    real.admin,
    copycatNamespace,
    "copycat",
    ingress.deployment.spec.selector.matchLabels,
    PORTS.slice(0, 1),
  );
}, 300_000);

afterAll(async () => {
  await real.admin
    .send({
      method: "DELETE",
      path: `/apis/networking.istio.io/v1/namespaces/${INGRESS.namespace}/gateways/security-test`,
    })
    .catch(() => undefined);
  await deleteNamespace(real.admin, namespace);
  await deleteNamespace(real.admin, copycatNamespace);
  await istiod.stop();
  await real.stop();
}, 180_000);

/** The proxy's virtualInbound listener once istiod has built chains for `port`. */
function virtualInbound(
  proxy: ProxyIdentity,
  port: number,
  ready: (chains: Envoy[]) => boolean = () => true,
) {
  return eventuallyXds(
    `virtualInbound chains for port ${port} of ${proxy.namespace}/${proxy.workload}`,
    () => xdsFor(istiod, proxy, "lds"),
    (dump) => {
      const inbound = listener(dump, "virtualInbound");
      const chains = chainsForPort(inbound, port);
      return chains.length > 0 && ready(chains) ? inbound : undefined;
    },
    60_000,
  );
}

const transport = (chain: Envoy) =>
  chain.filter_chain_match?.transport_protocol as string | undefined;

/**
 * The ALLOW rules the operator rendered for pods with these labels, by the name Envoy gives
 * each rule, and whether the rule is `{}` (any request).
 */
async function operatorAllowRules(labels: Record<string, string>): Promise<Map<string, boolean>> {
  const list = await real.admin.send<{ items: Envoy[] }>({
    method: "GET",
    path: "/apis/security.istio.io/v1/authorizationpolicies",
  });
  const selects = (p: Envoy) =>
    Object.entries((p.spec.selector?.matchLabels ?? {}) as Record<string, string>).every(
      ([key, value]) => labels[key] === value,
    );
  const rules = list.items
    .filter((p) => (p.metadata.ownerReferences ?? []).some((o: Envoy) => o.kind === "MeshConfig"))
    .filter((p) => (p.spec.action ?? "ALLOW") === "ALLOW" && selects(p))
    .flatMap((p) =>
      ((p.spec.rules ?? []) as Envoy[]).map((rule, index): [string, boolean] => [
        `ns[${p.metadata.namespace}]-policy[${p.metadata.name}]-rule[${index}]`,
        Object.keys(rule).length === 0,
      ]),
    );
  return new Map(rules);
}

describe("spec.security in a real istiod's xDS", () => {
  it("STRICT leaves no plaintext inbound chain: every chain terminates mutual TLS", async () => {
    const inbound = await virtualInbound(server, 8080);
    for (const port of [8080, 5432]) expect(chainsForPort(inbound, port).length).toBeGreaterThan(0);
    const serving = filterChains(inbound).filter((chain) => chain.name !== BLACKHOLE);
    expect(serving.map(transport).filter((t) => t !== "tls")).toEqual([]);
    for (const chain of serving) {
      expect(chain.transport_socket?.name).toBe("envoy.transport_sockets.tls");
      expect(chain.transport_socket?.typed_config?.require_client_certificate).toBe(true);
    }
  });

  it("DenyAll gives the workload's inbound chains RBAC that allows nothing", async () => {
    const inbound = await virtualInbound(server, 8080);
    for (const port of [8080, 5432]) {
      const filters = rbacFilters(chainsForPort(inbound, port));
      expect(filters.length).toBeGreaterThan(0);
      // Each is an ALLOW filter whose policies (Istio's allow-nothing) never match.
      expect(filters.filter((f) => !allowsNothing(f))).toEqual([]);
    }
  });

  it("the gateway's ALLOW policies reach the gateway proxy and allow any request", async () => {
    const expected = await operatorAllowRules(gateway.labels ?? {});
    expect(expected.size).toBeGreaterThan(0);
    const policies = await eventuallyXds(
      "the ingress gateway's RBAC filter with the operator's ALLOW policy",
      () => xdsFor(istiod, gateway, "lds"),
      (dump) => {
        const all = Object.assign(
          {},
          ...listeners(dump).flatMap((l) => rbacFilters(filterChains(l)).map((f) => f.policies)),
        ) as Record<string, Envoy>;
        return [...expected.keys()].every((name) => name in all) ? all : undefined;
      },
      60_000,
    );
    // A rule that is `{}` allows any permission for any principal (Istio ANDs a rule's parts).
    for (const [name, open] of expected)
      if (open)
        expect(policies[name]).toEqual({
          permissions: [{ and_rules: { rules: [{ any: true }] } }],
          principals: [{ and_ids: { ids: [{ any: true }] } }],
        });
  });

  it("a pod in another namespace with the gateway's labels still gets allow-nothing (issue 17)", async () => {
    const inbound = await virtualInbound(copycat, 8080);
    const filters = rbacFilters(chainsForPort(inbound, 8080));
    expect(filters.length).toBeGreaterThan(0);
    // The gateway's ALLOW policy does not reach it: only policies that never match.
    expect(filters.filter((f) => !allowsNothing(f))).toEqual([]);
  });

  it("PERMISSIVE (spec changed, operator converged) keeps both the mTLS and the plaintext chain", async () => {
    await real.harness.applyAsUser(
      mesh({ security: { mtls: "PERMISSIVE", authorization: "DenyAll" } }),
    );
    await real.harness.waitForCondition("Ready", "True", undefined, 120_000);
    const inbound = await virtualInbound(server, 8080, (chains) =>
      chains.some((chain) => transport(chain) === "raw_buffer"),
    );
    for (const port of [8080, 5432]) {
      const kinds = new Set(chainsForPort(inbound, port).map(transport));
      expect([...kinds].sort()).toEqual(["raw_buffer", "tls"]);
    }
  });
});
