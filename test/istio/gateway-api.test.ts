/**
 * The Kubernetes Gateway API on a real istiod. The operator converges the tests' mesh (its
 * Gateway API CRDs included, Established); a real istiod started with exactly the
 * operator's Deployment, RBAC and injector ConfigMap then creates its GatewayClasses, and
 * for a Gateway of class `istio` with an HTTPRoute its deployment controller creates the
 * gateway's ServiceAccount, Deployment and Service on the local cluster (KWOK runs the
 * pods), the Deployment becomes Available, and the route reaches that gateway's xDS.
 *
 * Parity with upstream's kube-gateway template: a reference istiod (its own revision, an
 * administrator's credentials) serves the injection config `istioctl manifest generate`
 * writes from the same Istio module, and deploys a twin Gateway labelled with its
 * revision; the objects both istiods create must be equal once names, UIDs and the
 * revision are read as the same (twin-objects.ts, injection-diff.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import type { IstiodProcess } from "../../operator/local/istiod-process.ts";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { lookupVersion } from "../../operator/render/istio-versions.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { connectionManagers, routeConfig, virtualHost, type Envoy } from "./envoy-config.ts";
import { diff } from "./injection-diff.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  TYPE,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
} from "./real-istio.ts";
import { comparableTwin, startReferenceIstiod } from "./twin-objects.ts";
import {
  createNamespace,
  deleteNamespace,
  exposeService,
  runPod,
  serviceHost,
} from "./workloads.ts";

const namespace = uniqueName("gwapi");
const REFERENCE_NAMESPACE = "istio-gwapi-reference";
const REFERENCE_REVISION = "gwapi-reference";
const HOST = "shop.example.com";
const GATEWAY_API = "gateway.networking.k8s.io/v1";

type Json = Record<string, any>;

let real: RealMesh;
let istiod: MeshIstiod;
let reference: IstiodProcess | undefined;
let spec: MeshConfigSpec;

async function get(path: string): Promise<Json | undefined> {
  return real.admin.send<Json>({ method: "GET", path }).catch((error: unknown) => {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  });
}

function gateway(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    metadata: { name, namespace, labels },
    spec: {
      gatewayClassName: "istio",
      listeners: [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "Same" } },
        },
      ],
    },
  };
}

const route = {
  apiVersion: GATEWAY_API,
  kind: "HTTPRoute",
  metadata: { name: "shop", namespace },
  spec: {
    parentRefs: [{ name: "ingress" }],
    hostnames: [HOST],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: "/cart" } }],
        backendRefs: [{ name: "cart", port: 8080 }],
      },
    ],
  },
};

const deploymentPath = (name: string) =>
  `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;

/** The Deployment istiod created, once it is Available. */
async function availableDeployment(name: string): Promise<Json> {
  return until(
    `Deployment ${namespace}/${name} Available`,
    async () => {
      const d = await get(deploymentPath(name));
      const available = (d?.status?.conditions ?? []).find((c: Json) => c.type === "Available");
      return available?.status === "True" ? d : undefined;
    },
    120_000,
  );
}

/** A gateway pod of the Gateway, as its istio-agent would present itself to istiod. */
async function gatewayProxy(gatewayName: string): Promise<ProxyIdentity> {
  const pods = await get(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=gateway.networking.k8s.io/gateway-name%3D${gatewayName}`,
  );
  const items: Json[] = pods?.items ?? [];
  const pod = items.find((p) => p.status?.podIP);
  if (!pod) throw new Error(`no Running pod of Gateway ${gatewayName} with an IP`);
  return {
    ip: pod.status.podIP as string,
    namespace,
    workload: `${gatewayName}-istio`,
    nodeType: "router",
    labels: pod.metadata.labels as Record<string, string>,
    serviceAccount: `${gatewayName}-istio`,
  };
}

beforeAll(async () => {
  real = await convergeMesh();
  const parsed = validateSpec(mesh().spec);
  if (!parsed.ok) throw new Error("the tier's MeshConfig is invalid");
  spec = parsed.spec;
  istiod = await startIstiod(real);
  await createNamespace(real.admin, namespace);
  await createNamespace(real.admin, REFERENCE_NAMESPACE);
  await runPod(real.admin, { namespace, name: "cart-v1", labels: { app: "cart" }, ports: [8080] });
  await exposeService(real.admin, namespace, "cart", { app: "cart" }, [
    { name: "http", port: 8080, targetPort: 8080 },
  ]);
}, 600_000);

afterAll(async () => {
  await reference?.stop();
  await (istiod as MeshIstiod | undefined)?.stop();
  if ((real as RealMesh | undefined) === undefined) return;
  await deleteNamespace(real.admin, namespace);
  await deleteNamespace(real.admin, REFERENCE_NAMESPACE);
  await real.stop();
});

describe("the Gateway API on a real istiod", () => {
  it("the operator installed the standard-channel CRDs of the minor's version, Established", async () => {
    const version = lookupVersion(spec.version).gatewayAPI;
    for (const plural of [
      "gatewayclasses",
      "gateways",
      "httproutes",
      "grpcroutes",
      "referencegrants",
    ]) {
      const crd = await get(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.gateway.networking.k8s.io`,
      );
      expect(crd?.metadata.annotations["gateway.networking.k8s.io/bundle-version"], plural).toBe(
        version,
      );
      expect(crd?.metadata.annotations["gateway.networking.k8s.io/channel"]).toBe("standard");
      const established = crd?.status.conditions.find((c: Json) => c.type === "Established");
      expect(established?.status, plural).toBe("True");
    }
  });

  it("istiod creates its GatewayClasses, as upstream's istiod does", async () => {
    // Without ambient istiod creates `istio` (its deployment controller's) and, with
    // multi-network discovery on by default, `istio-remote` (not deployed, not programmed).
    const classes = await until(
      "istiod's GatewayClasses",
      async () => {
        const list = await get("/apis/gateway.networking.k8s.io/v1/gatewayclasses");
        const items: Json[] = list?.items ?? [];
        return items.length >= 2 ? items : undefined;
      },
      60_000,
    );
    const byName = Object.fromEntries(classes.map((c) => [c.metadata.name, c.spec.controllerName]));
    expect(byName).toEqual({
      istio: "istio.io/gateway-controller",
      "istio-remote": "istio.io/unmanaged-gateway",
    });
    const accepted = await until(
      "GatewayClass istio Accepted",
      async () => {
        const c = await get("/apis/gateway.networking.k8s.io/v1/gatewayclasses/istio");
        const condition = (c?.status?.conditions ?? []).find((x: Json) => x.type === "Accepted");
        return condition?.status === "True" ? condition : undefined;
      },
      60_000,
    );
    expect(accepted.reason).toBe("Accepted");
  });

  it("a Gateway of class istio and an HTTPRoute: istiod deploys the gateway, Available", async () => {
    await real.harness.applyAsUser(gateway("ingress"));
    await real.harness.applyAsUser(route);
    const deployment = await availableDeployment("ingress-istio");
    expect(deployment.metadata.ownerReferences[0]).toMatchObject({
      kind: "Gateway",
      name: "ingress",
    });
    expect(deployment.metadata.labels["gateway.istio.io/managed"]).toBe(
      "istio.io-gateway-controller",
    );
    const service = await get(`/api/v1/namespaces/${namespace}/services/ingress-istio`);
    expect(service?.spec.ports.map((p: Json) => [p.name, p.port])).toEqual([
      ["status-port", 15021],
      ["http", 80],
    ]);
    expect(service?.spec.type).toBe("LoadBalancer");
    expect(
      await get(`/api/v1/namespaces/${namespace}/serviceaccounts/ingress-istio`),
    ).toBeDefined();
    const gw = await get(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/ingress`,
    );
    const accepted = (gw?.status?.conditions ?? []).find((c: Json) => c.type === "Accepted");
    expect(accepted?.status).toBe("True");
  });

  it("the Gateway reaches that gateway's xDS, the route accepted by istiod", async () => {
    const proxy = await gatewayProxy("ingress");
    // The Gateway's listener reaches the gateway's own xDS (its routes by RDS, http.80),
    // with the HTTPRoute's backend among its clusters.
    const backend = `outbound|8080||${serviceHost(namespace, "cart")}`;
    const { manager, dump } = await eventuallyXds(
      "the Gateway's HTTP listener and the route's backend on the gateway",
      () => xdsFor(istiod, proxy, "lds,cds", { routes: ["http.80"] }),
      (d) => {
        const port80 = (d[TYPE.listener] ?? []).find((l: Envoy) => l.name === "0.0.0.0_80");
        const found = (d[TYPE.cluster] ?? []).some((c: Envoy) => c.name === backend);
        return port80 && found ? { manager: connectionManagers(port80)[0], dump: d } : undefined;
      },
      60_000,
    );
    expect(manager?.rds?.route_config_name).toBe("http.80");
    // The route table: the HTTPRoute's host, its path match and its backend.
    const [rule] = virtualHost(routeConfig(dump, "http.80"), HOST).routes as Envoy[];
    expect(rule?.match).toMatchObject({ path_separated_prefix: "/cart" });
    expect(rule?.route?.cluster).toBe(backend);
    const shop = await get(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/httproutes/shop`,
    );
    const parent: Json = shop?.status.parents[0] ?? {};
    expect(parent.controllerName).toBe("istio.io/gateway-controller");
    const conditions: Json[] = parent.conditions ?? [];
    for (const type of ["Accepted", "ResolvedRefs"])
      expect(conditions.find((c) => c.type === type)?.status, type).toBe("True");
    // Everything istiod did (classes, status, the gateway's objects) under our RBAC alone.
    expect(istiod.forbiddenCalls()).toEqual([]);
  });

  it("deploys what upstream's kube-gateway template deploys (a reference istiod, same Gateway)", async () => {
    reference = await startReferenceIstiod(real, istiod, spec, {
      revision: REFERENCE_REVISION,
      namespace: REFERENCE_NAMESPACE,
      name: "istiod (upstream reference, Gateway API)",
    });
    await real.harness.applyAsUser(gateway("twin", { "istio.io/rev": REFERENCE_REVISION }));
    const theirs = await availableDeployment("twin-istio");
    const ours = await availableDeployment("ingress-istio");
    const read = (name: string) => ({
      serviceAccount: get(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`),
      service: get(`/api/v1/namespaces/${namespace}/services/${name}`),
    });
    const [oursSa, oursSvc, theirsSa, theirsSvc] = await Promise.all([
      read("ingress-istio").serviceAccount,
      read("ingress-istio").service,
      read("twin-istio").serviceAccount,
      read("twin-istio").service,
    ]);
    const names = { referenceRevision: REFERENCE_REVISION, revision: spec.revision || "default" };
    const comparable = (object: Json | undefined, name: string) =>
      comparableTwin(object, name, names);
    const differences = [
      ...diff(comparable(ours, "ingress"), comparable(theirs, "twin"), "deployment"),
      ...diff(comparable(oursSvc, "ingress"), comparable(theirsSvc, "twin"), "service"),
      ...diff(comparable(oursSa, "ingress"), comparable(theirsSa, "twin"), "serviceAccount"),
    ];
    expect(differences).toEqual([]);
  });
});
