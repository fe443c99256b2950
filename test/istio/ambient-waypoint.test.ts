/**
 * L7 at waypoints on a real istiod (issue 15 item 3). The operator converges an ambient
 * mesh (STRICT, DenyAll); a namespace joins ambient and uses a waypoint (a Gateway of class
 * istio-waypoint that istiod deploys through the operator's template). Then, as the proxies
 * would see it:
 *   - ztunnel's workload discovery names the waypoint for the namespace's Service, so
 *     traffic to the Service goes through the waypoint;
 *   - the waypoint (node type waypoint, its pod and agent metadata) takes traffic only as
 *     HBONE: one socket listener, connect_terminate on 15008, mutual TLS required, behind it
 *     the internal listener main_internal;
 *   - DenyAll reaches the waypoint's HTTP chains as an RBAC filter that allows nothing (the
 *     operator's allow-nothing-waypoints; the root allow-nothing binds ztunnel only);
 *   - L7 policies a user adds (targetRefs the Service, or the waypoint Gateway) reach the
 *     waypoint's HTTP RBAC with their methods and paths;
 *   - relaxing the posture at run time (PERMISSIVE, AllowAll) reaches ztunnel's workloads
 *     and the waypoint, waiting on the signal that enforces it (docs/ambient.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import {
  AUTHORIZATION,
  deleteWaypointClass,
  firstZtunnel,
  ipv4,
  serviceOf,
  waypointGateway,
  waypointIdentity,
  waypointReady,
  workloadOf,
  ztunnelIdentity,
} from "./ambient-proxies.ts";
import {
  allowsNothing,
  cluster,
  connectionManager,
  filterChains,
  listener,
  listeners,
  rbacFilters,
  type Envoy,
  type RbacFilter,
} from "./envoy-config.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
  type XdsDump,
} from "./real-istio.ts";
import {
  createNamespace,
  deleteNamespace,
  exposeService,
  runPod,
  serviceHost,
} from "./workloads.ts";

const ns = uniqueName("waypoint");
const WAYPOINT = "waypoint";
const WEB_CHAIN = `inbound-vip|8080|http|${serviceHost(ns, "web")}`;
const DIRECT_HTTP = "direct-http";
const WAYPOINTS_DENY = "ns[istio-system]-policy[allow-nothing-waypoints]-rule[0]";
const STATIC_STRICT = "istio-system/istio_converted_static_strict";

type Json = Record<string, any>;

let real: RealMesh;
let istiod: MeshIstiod;
let waypoint: ProxyIdentity;
let waypointService: Json;

beforeAll(async () => {
  real = await convergeMesh({ dataPlane: { mode: "ambient" } });
  istiod = await startIstiod(real);
  await createNamespace(real.admin, ns, {
    "istio.io/dataplane-mode": "ambient",
    "istio.io/use-waypoint": WAYPOINT,
  });
  await runPod(real.admin, {
    namespace: ns,
    name: "web-1",
    labels: { app: "web" },
    serviceAccount: "web",
    ports: [8080],
  });
  await exposeService(real.admin, ns, "web", { app: "web" }, [
    { name: "http", port: 8080, targetPort: 8080 },
  ]);
  await real.harness.applyAsUser(waypointGateway(ns, WAYPOINT));
  const { deployment } = await waypointReady(real.admin, ns, WAYPOINT);
  waypoint = await waypointIdentity(real.admin, deployment);
  waypointService = await real.admin.send<Json>({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/services/${WAYPOINT}`,
  });
}, 600_000);

afterAll(async () => {
  await (istiod as MeshIstiod | undefined)?.stop();
  if ((real as RealMesh | undefined) === undefined) return;
  await deleteWaypointClass(real.admin);
  await deleteNamespace(real.admin, ns);
  await real.stop();
}, 180_000);

const waypointXds = () => xdsFor(istiod, waypoint, "lds,cds", { wait: "lds,cds" });

function chainOf(dump: XdsDump, name: string): Envoy | undefined {
  const main = listeners(dump).find((l) => l.name === "main_internal");
  return main ? filterChains(main).find((c) => c.name === name) : undefined;
}

/** The waypoint's RBAC filters on one of main_internal's chains, once `ready` holds. */
async function waypointRbac(
  what: string,
  chain: string,
  ready: (filters: RbacFilter[]) => boolean,
): Promise<RbacFilter[]> {
  return eventuallyXds(
    what,
    waypointXds,
    (dump) => {
      const found = chainOf(dump, chain);
      const filters = found ? rbacFilters([found]) : [];
      return found && ready(filters) ? filters : undefined;
    },
    60_000,
  );
}

const policyNames = (filters: RbacFilter[]) =>
  filters.flatMap((f) => Object.keys(f.policies)).sort();

/** Every value under `key` anywhere in `value` (Envoy's RBAC nests and/or rules deeply). */
function valuesOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOf(v, key));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [v] : []),
    ...valuesOf(v, key),
  ]);
}

function l7Policy(name: string, targetRef: Json, operation: Json) {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace: ns },
    spec: { targetRefs: [targetRef], action: "ALLOW", rules: [{ to: [{ operation }] }] },
  };
}

describe("waypoints on a real istiod: L7 policy of an ambient mesh", () => {
  it("ztunnel routes a Service of a namespace that uses the waypoint through it", async () => {
    const ztunnel = ztunnelIdentity(await firstZtunnel(real.admin));
    const fqdn = serviceHost(ns, WAYPOINT);
    const service = await eventuallyXds(
      "the web Service with its waypoint in ztunnel's WDS",
      () => xdsFor(istiod, ztunnel, "wds", { delta: true }),
      (dump) => {
        const s = serviceOf(dump, ns, "web");
        return s?.waypoint ? s : undefined;
      },
      60_000,
    );
    expect(service).toMatchObject({ hostname: serviceHost(ns, "web") });
    // The waypoint by its Service's name (or address), reached over HBONE on 15008.
    const via = service.waypoint as Json;
    expect(via.hbone_mtls_port).toBe(15008);
    const byName = via.hostname as Json | undefined;
    if (byName) expect(byName).toEqual({ namespace: ns, hostname: fqdn });
    else expect(ipv4((via.address as Json).address as string)).toBe(waypointService.spec.clusterIP);
    // waypoint-for: service: the Service's traffic goes through it, the pod's own does not.
    const wds = await xdsFor(istiod, ztunnel, "wds", { delta: true });
    expect(workloadOf(wds, ns, "web-1")?.waypoint).toBeUndefined();
    // STRICT: the pod lists Istio's static STRICT policy (relaxed in the last test).
    expect(workloadOf(wds, ns, "web-1")?.authorization_policies).toEqual([STATIC_STRICT]);
  });

  it("the waypoint takes traffic only as HBONE, with mutual TLS required", async () => {
    const dump = await eventuallyXds(
      "the waypoint's listeners",
      waypointXds,
      (d) => (chainOf(d, WEB_CHAIN) ? d : undefined),
      60_000,
    );
    // One socket listener: connect_terminate on 15008. The rest are internal listeners.
    const sockets = listeners(dump).filter((l) => l.address?.socket_address);
    expect(sockets.map((l) => [l.name, l.address.socket_address.port_value])).toEqual([
      ["connect_terminate", 15008],
    ]);
    for (const name of ["main_internal", "connect_originate"])
      expect(listener(dump, name).internal_listener).toBeDefined();
    const [terminate] = filterChains(listener(dump, "connect_terminate"));
    const tls = terminate?.transport_socket?.typed_config as Envoy;
    expect(tls.require_client_certificate).toBe(true);
    // The waypoint's own certificate and the mesh root, both by SDS from istio-agent.
    const common = tls.common_tls_context as Envoy;
    expect(common.tls_certificate_sds_secret_configs.map((s: Envoy) => s.name)).toEqual([
      "default",
    ]);
    expect(JSON.stringify(common.combined_validation_context ?? common)).toContain("ROOTCA");
    // What arrives is a CONNECT tunnel, handed to main_internal and nowhere else.
    const routes = connectionManager(terminate ?? {})?.route_config.virtual_hosts[0].routes;
    expect(routes.map((r: Envoy) => r.route?.cluster)).toEqual(["main_internal"]);
    const main = cluster(dump, "main_internal");
    expect(valuesOf(main, "server_listener_name")).toEqual(["main_internal"]);
  });

  it("DenyAll reaches the waypoint: its HTTP chains allow nothing", async () => {
    for (const chain of [WEB_CHAIN, DIRECT_HTTP]) {
      const filters = await waypointRbac(`DenyAll on ${chain}`, chain, (f) => f.length > 0);
      expect(filters.map((f) => f.action)).toEqual(["ALLOW"]);
      expect(filters.every(allowsNothing)).toBe(true);
      // The operator's policy for waypoints; the root allow-nothing (no targetRefs) is
      // ztunnel's and sidecars', never a waypoint's.
      expect(policyNames(filters)).toEqual([WAYPOINTS_DENY]);
    }
    // istiod bound it to the class (status it writes under our RBAC).
    const status = await until(
      "allow-nothing-waypoints bound",
      async () => {
        const p = await real.admin.send<Json>({
          method: "GET",
          path: "/apis/security.istio.io/v1/namespaces/istio-system/authorizationpolicies/allow-nothing-waypoints",
        });
        const conditions = (p.status?.conditions ?? []) as Json[];
        return conditions.find((c) => String(c.message).includes("istio-waypoint"));
      },
      60_000,
    );
    expect(status).toMatchObject({ status: "True", reason: "Accepted" });
    expect(istiod.forbiddenCalls()).toEqual([]);
  });

  it("an L7 ALLOW a user adds for the Service reaches the waypoint's HTTP RBAC with its rules", async () => {
    await real.harness.applyAsUser(
      l7Policy(
        "web-reads",
        { group: "", kind: "Service", name: "web" },
        { methods: ["GET"], paths: ["/api/*"] },
      ),
    );
    const name = `ns[${ns}]-policy[web-reads]-rule[0]`;
    const filters = await waypointRbac("web-reads on the web chain", WEB_CHAIN, (f) =>
      policyNames(f).includes(name),
    );
    // Still one ALLOW filter: allowed only if the user's rule matches.
    expect(filters.map((f) => f.action)).toEqual(["ALLOW"]);
    expect(policyNames(filters)).toEqual([WAYPOINTS_DENY, name].sort());
    const rule = filters[0]?.policies[name];
    expect(valuesOf(rule, "header")).toEqual([
      expect.objectContaining({ name: ":method", string_match: { exact: "GET" } }),
    ]);
    expect(valuesOf(rule, "url_path")).toEqual([{ path: { prefix: "/api/" } }]);
    // Bound to the Service: the waypoint's direct-to-pod chain does not get it.
    const direct = await waypointRbac("direct-http", DIRECT_HTTP, (f) => f.length > 0);
    expect(policyNames(direct)).toEqual([WAYPOINTS_DENY]);
  });

  it("an L7 ALLOW for the waypoint Gateway itself reaches each of its HTTP chains", async () => {
    await real.harness.applyAsUser(
      l7Policy(
        "orders-writes",
        { group: "gateway.networking.k8s.io", kind: "Gateway", name: WAYPOINT },
        { methods: ["POST"], paths: ["/orders"] },
      ),
    );
    const name = `ns[${ns}]-policy[orders-writes]-rule[0]`;
    for (const chain of [WEB_CHAIN, DIRECT_HTTP]) {
      const filters = await waypointRbac(`orders-writes on ${chain}`, chain, (f) =>
        policyNames(f).includes(name),
      );
      const rule = filters[0]?.policies[name];
      expect(valuesOf(rule, "header")).toEqual([
        expect.objectContaining({ name: ":method", string_match: { exact: "POST" } }),
      ]);
      expect(valuesOf(rule, "url_path")).toEqual([{ path: { exact: "/orders" } }]);
    }
    // L7 rules are the waypoint's: ztunnel is not sent policies with targetRefs.
    const ztunnel = ztunnelIdentity(await firstZtunnel(real.admin));
    const l4 = await xdsFor(istiod, ztunnel, AUTHORIZATION);
    const l4Names = (l4[AUTHORIZATION] ?? []).map(
      (p) => `${String(p.namespace)}/${String(p.name)}`,
    );
    expect(l4Names).not.toContain(`${ns}/web-reads`);
    expect(l4Names).not.toContain(`${ns}/orders-writes`);
  });

  it("relaxing the posture at run time (PERMISSIVE, AllowAll) reaches ztunnel and the waypoint", async () => {
    await real.harness.applyAsUser(
      mesh({
        dataPlane: { mode: "ambient" },
        security: { mtls: "PERMISSIVE", authorization: "AllowAll" },
      }),
    );
    await real.harness.waitForCondition("Ready", "True", undefined, 120_000);
    // The signal that enforces mTLS at ztunnel: the policies a workload lists.
    const ztunnel = ztunnelIdentity(await firstZtunnel(real.admin));
    const wds = await eventuallyXds(
      "web-1 without the STRICT policy",
      () => xdsFor(istiod, ztunnel, "wds"),
      (d) => {
        const w = workloadOf(d, ns, "web-1");
        return w && !((w.authorization_policies ?? []) as string[]).includes(STATIC_STRICT)
          ? d
          : undefined;
      },
      60_000,
    );
    expect(workloadOf(wds, ns, "web-1")?.authorization_policies).toBeUndefined();
    const byName = await eventuallyXds(
      "ztunnel's authorization without allow-nothing",
      () => xdsFor(istiod, ztunnel, AUTHORIZATION),
      (d) => {
        const all = Object.fromEntries(
          (d[AUTHORIZATION] ?? []).map((p) => [`${String(p.namespace)}/${String(p.name)}`, p]),
        );
        return "istio-system/allow-nothing" in all ? undefined : all;
      },
      60_000,
    );
    // Istio keeps its static STRICT policy on offer while any PeerAuthentication exists
    // (the PERMISSIVE default is one); it binds only workloads that list it, and none does.
    expect(byName[STATIC_STRICT]).toMatchObject({ scope: "WORKLOAD_SELECTOR", action: "DENY" });
    // AllowAll: the waypoints' allow-nothing is gone; the user's own policies remain.
    const filters = await waypointRbac("the waypoint without DenyAll", DIRECT_HTTP, (f) =>
      policyNames(f).every((n) => n !== WAYPOINTS_DENY),
    );
    expect(policyNames(filters)).toEqual([`ns[${ns}]-policy[orders-writes]-rule[0]`]);
  });
});
