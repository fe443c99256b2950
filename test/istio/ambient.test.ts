/**
 * Ambient on a real istiod. The operator converges the tests' mesh with
 * spec.dataPlane.mode ambient: the istio-cni agent and ztunnel DaemonSets roll out on the
 * KWOK nodes (KWOK runs their pods) and the MeshConfig reports them; a real istiod started
 * with exactly the operator's Deployment then
 *   - serves a ztunnel client (node type ztunnel, ztunnel's identity) its workload
 *     discovery (istio.workload.Address): the pods of a namespace labelled
 *     istio.io/dataplane-mode=ambient, and as HBONE workloads once the CNI agent (with
 *     its own token, so its RBAC is what is tested) marks them redirected;
 *   - signs, for ztunnel's node account, a certificate on behalf of a workload identity
 *     whose pod runs on ztunnel's node, and refuses one whose pod does not, and refuses
 *     impersonation by an account that is not ztunnel's;
 *   - creates the istio-waypoint GatewayClass, and deploys a waypoint Gateway through the
 *     operator's waypoint template (Available on KWOK);
 *   - gives ztunnel the mesh's posture as istio.security.Authorization: STRICT mTLS (deny
 *     without a peer identity), DenyAll (allow-nothing, global) and the gateways' allows
 *     (item 3 of issue 15).
 */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { tokenConfig, uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import {
  caSecret,
  convergeMesh,
  eventuallyXds,
  requestCertificate,
  startIstiod,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
} from "./real-istio.ts";
import {
  ADDRESS,
  AUTHORIZATION,
  deleteWaypointClass,
  firstZtunnel as ztunnelOf,
  workloadOf,
  ztunnelIdentity,
  ztunnelPods as ztunnelPodsOf,
} from "./ambient-proxies.ts";
import { createNamespace, deleteNamespace, runPod } from "./workloads.ts";

const ambientNs = uniqueName("ambient");
const plainNs = uniqueName("plain");

type Json = Record<string, any>;

let real: RealMesh;
let istiod: MeshIstiod;
let web: ProxyIdentity;
let legacy: ProxyIdentity;

async function get(path: string): Promise<Json> {
  return real.admin.send<Json>({ method: "GET", path });
}

async function getOrUndefined(path: string): Promise<Json | undefined> {
  return get(path).catch((error: unknown) => {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  });
}

const ztunnelPods = () => ztunnelPodsOf(real.admin);
/** A ztunnel pod: the client identity of the xDS and CA requests below. */
const firstZtunnel = () => ztunnelOf(real.admin);

beforeAll(async () => {
  real = await convergeMesh({ dataPlane: { mode: "ambient" } });
  istiod = await startIstiod(real);
  await createNamespace(real.admin, ambientNs, { "istio.io/dataplane-mode": "ambient" });
  await createNamespace(real.admin, plainNs);
  web = await runPod(real.admin, {
    namespace: ambientNs,
    name: "web-1",
    labels: { app: "web" },
    serviceAccount: "web",
    ports: [8080],
  });
  legacy = await runPod(real.admin, {
    namespace: plainNs,
    name: "legacy-1",
    labels: { app: "legacy" },
    ports: [8080],
  });
}, 600_000);

afterAll(async () => {
  await (istiod as MeshIstiod | undefined)?.stop();
  if ((real as RealMesh | undefined) === undefined) return;
  await deleteWaypointClass(real.admin);
  await deleteNamespace(real.admin, ambientNs);
  await deleteNamespace(real.admin, plainNs);
  await real.stop();
}, 180_000);

/** A token of `account` bound to `pod`, as the kubelet mounts it (istio-ca: ztunnel's CA token). */
async function boundToken(
  namespace: string,
  account: string,
  pod: Json,
  audiences = ["istio-ca"],
): Promise<string> {
  const answer = await real.admin.send<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {
        audiences,
        boundObjectRef: {
          apiVersion: "v1",
          kind: "Pod",
          name: pod.metadata.name,
          uid: pod.metadata.uid,
        },
      },
    },
  });
  return answer.status.token;
}

const spiffe = (namespace: string, account: string) =>
  `spiffe://cluster.local/ns/${namespace}/sa/${account}`;

describe("ambient on a real istiod", () => {
  it("rolls the node agents out on every node and reports them in the MeshConfig's status", async () => {
    const nodes = (await get("/api/v1/nodes")).items as Json[];
    const status = (await real.harness.meshConfig())?.status as Json;
    const byType = Object.fromEntries(
      (status.conditions as Json[]).map((c) => [c.type, `${c.status}/${c.reason}`]),
    );
    expect(byType).toMatchObject({
      Ready: "True/MeshReady",
      ZtunnelReady: "True/Available",
      CNIReady: "True/Available",
    });
    const all = {
      ready: nodes.length,
      updated: nodes.length,
      available: nodes.length,
      desired: nodes.length,
    };
    expect(status.components.ztunnel).toEqual(all);
    expect(status.components.cni).toEqual(all);
    expect((await ztunnelPods()).map((p) => p.spec.nodeName).sort()).toEqual(
      nodes.map((n) => n.metadata.name).sort(),
    );
  });

  it("serves a ztunnel client the pods of an ambient namespace in its workload discovery", async () => {
    const ztunnel = await firstZtunnel();
    const dump = await eventuallyXds(
      "web-1 in istiod's WDS",
      () => xdsFor(istiod, ztunnelIdentity(ztunnel), "wds"),
      (d) => (workloadOf(d, ambientNs, "web-1") ? d : undefined),
    );
    const workload = workloadOf(dump, ambientNs, "web-1");
    expect(workload).toMatchObject({
      uid: `Kubernetes//Pod/${ambientNs}/web-1`,
      service_account: "web",
      node: ztunnel.spec.nodeName,
      workload_type: "POD",
      canonical_name: "web",
      cluster_id: "Kubernetes",
    });
    // Addresses are raw bytes (base64 in JSON): the pod's IPv4 address.
    expect(Buffer.from(workload?.addresses[0] as string, "base64").join(".")).toBe(web.ip);
    expect(workloadOf(dump, plainNs, "legacy-1")?.service_account).toBe(legacy.serviceAccount);
  });

  it("marks a pod HBONE once the CNI agent (its own identity and RBAC) reports it redirected", async () => {
    // What istio-cni does after it set up a pod's redirection: annotate it through pods/status.
    // Done here with a token of the agent's ServiceAccount, so the RBAC we grant it is what
    // is exercised; istiod then tells ztunnel to reach the pod over HBONE.
    const agents = (
      await get("/api/v1/namespaces/istio-system/pods?labelSelector=k8s-app%3Distio-cni-node")
    ).items as Json[];
    const agent = agents[0];
    if (!agent) throw new Error("no istio-cni-node pod");
    // The API server's own audience (an empty list), as the agent's kubeconfig token has.
    const token = await boundToken("istio-system", "istio-cni", agent, []);
    const asAgent = new RestClient(tokenConfig("istio-cni", token));
    try {
      await asAgent.send({
        method: "PATCH",
        path: `/api/v1/namespaces/${ambientNs}/pods/web-1/status`,
        body: { metadata: { annotations: { "ambient.istio.io/redirection": "enabled" } } },
        contentType: "application/merge-patch+json",
      });
      // Its role stops at pod status: the pod itself (its spec, its labels) is not its to write.
      await expect(
        asAgent.send({
          method: "PATCH",
          path: `/api/v1/namespaces/${ambientNs}/pods/web-1`,
          body: { metadata: { labels: { tampered: "true" } } },
          contentType: "application/merge-patch+json",
        }),
      ).rejects.toMatchObject({ status: 403 });
    } finally {
      asAgent.close();
    }
    const ztunnel = await firstZtunnel();
    const hbone = await eventuallyXds(
      "web-1 as an HBONE workload",
      () => xdsFor(istiod, ztunnelIdentity(ztunnel), "wds"),
      (d) => {
        const w = workloadOf(d, ambientNs, "web-1");
        return w?.tunnel_protocol === "HBONE" ? d : undefined;
      },
    );
    expect(workloadOf(hbone, plainNs, "legacy-1")?.tunnel_protocol).toBeUndefined();
  });

  it("signs a certificate ztunnel asks for on behalf of a workload on its node", async () => {
    const ztunnel = await firstZtunnel();
    const root = (await caSecret(real.admin))["root-cert.pem"] ?? "";
    const token = await boundToken("istio-system", "ztunnel", ztunnel);
    const identity = spiffe(ambientNs, "web");
    const answer = await requestCertificate(istiod, root, token, identity, [
      `--impersonate=${identity}`,
    ]);
    expect(answer).toMatchObject({ signed: true });
    const leaf = new X509Certificate(answer.certChain?.[0] ?? "");
    expect(leaf.subjectAltName).toBe(`URI:${identity}`);

    // No pod of that account on ztunnel's node: refused.
    const elsewhere = await requestCertificate(istiod, root, token, spiffe(ambientNs, "nobody"), [
      `--impersonate=${spiffe(ambientNs, "nobody")}`,
    ]);
    expect(elsewhere.signed).toBe(false);
    // An account istiod does not trust as a node agent may not impersonate anyone.
    const webPod = await get(`/api/v1/namespaces/${ambientNs}/pods/web-1`);
    const notZtunnel = await boundToken(ambientNs, "web", webPod);
    const forged = await requestCertificate(istiod, root, notZtunnel, spiffe(plainNs, "default"), [
      `--impersonate=${spiffe(plainNs, "default")}`,
    ]);
    for (const refused of [elsewhere, forged])
      expect(refused).toMatchObject({ signed: false, code: "Unauthenticated" });
    // The same web token, asking for its own identity, is fine: impersonation was the problem.
    const own = await requestCertificate(istiod, root, notZtunnel, identity);
    expect(own).toMatchObject({ signed: true });
  });

  it("deploys a waypoint (a Gateway of class istio-waypoint) Available, as upstream's template shapes it", async () => {
    const waypointClass = await until(
      "GatewayClass istio-waypoint",
      () => getOrUndefined("/apis/gateway.networking.k8s.io/v1/gatewayclasses/istio-waypoint"),
      60_000,
    );
    expect(waypointClass.spec.controllerName).toBe("istio.io/mesh-controller");
    await real.harness.applyAsUser({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: {
        name: "shop-waypoint",
        namespace: ambientNs,
        labels: { "istio.io/waypoint-for": "service" },
      },
      spec: {
        gatewayClassName: "istio-waypoint",
        listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
      },
    });
    const deployment = await until(
      "the waypoint's Deployment Available",
      async () => {
        const d = await getOrUndefined(
          `/apis/apps/v1/namespaces/${ambientNs}/deployments/shop-waypoint`,
        );
        const available = (d?.status?.conditions ?? []).find((c: Json) => c.type === "Available");
        return available?.status === "True" ? d : undefined;
      },
      120_000,
    );
    expect(deployment.metadata.ownerReferences[0]).toMatchObject({
      kind: "Gateway",
      name: "shop-waypoint",
    });
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject({
      "istio.io/dataplane-mode": "none",
      "sidecar.istio.io/inject": "false",
      "gateway.networking.k8s.io/gateway-name": "shop-waypoint",
    });
    expect(pod.spec.containers[0].args.slice(0, 2)).toEqual(["proxy", "waypoint"]);
    const service = await get(`/api/v1/namespaces/${ambientNs}/services/shop-waypoint`);
    expect(service.spec.ports.map((p: Json) => [p.name, p.port])).toEqual([
      ["status-port", 15021],
      ["mesh", 15008],
    ]);

    expect(istiod.forbiddenCalls()).toEqual([]);
  });

  it("enforces the mesh's mTLS and DenyAll on ambient workloads at ztunnel, as on sidecars", async () => {
    const ztunnel = await firstZtunnel();
    const identity = ztunnelIdentity(ztunnel);
    const policies = (d: Record<string, Json[]>) =>
      Object.fromEntries((d[AUTHORIZATION] ?? []).map((p) => [`${p.namespace}/${p.name}`, p]));
    const strict = await eventuallyXds(
      "the mesh's policies in ztunnel's authorization",
      () => xdsFor(istiod, identity, AUTHORIZATION),
      (d) => (Object.keys(policies(d)).length >= 4 ? policies(d) : undefined),
    );
    // DenyAll: allow-nothing in the root namespace, scope GLOBAL (the default), no rules.
    expect(strict["istio-system/allow-nothing"]).toEqual({
      name: "allow-nothing",
      namespace: "istio-system",
    });
    // mTLS STRICT: plaintext (no peer identity) denied, for every workload.
    expect(strict["istio-system/istio_converted_static_strict"]).toMatchObject({
      action: "DENY",
      groups: [{ rules: [{ matches: [{ not_principals: [{ presence: {} }] }] }] }],
    });
    // The gateways' front doors stay open: ALLOW everything for their pods only.
    for (const gateway of [
      "istio-ingress/meshkeeper-allow-istio-ingressgateway",
      "istio-egress/meshkeeper-allow-istio-egressgateway",
    ])
      expect(strict[gateway]).toMatchObject({ scope: "WORKLOAD_SELECTOR", groups: [{}] });
    const wds = await xdsFor(istiod, identity, "wds");
    expect(workloadOf(wds, ambientNs, "web-1")?.authorization_policies).toEqual([
      "istio-system/istio_converted_static_strict",
    ]);
    const ingress = (wds[ADDRESS] ?? [])
      .map((a) => a.workload as Json | undefined)
      .find((w) => w?.namespace === "istio-ingress");
    expect(ingress?.authorization_policies).toEqual([
      "istio-ingress/meshkeeper-allow-istio-ingressgateway",
      "istio-system/istio_converted_static_strict",
    ]);
  });
});
