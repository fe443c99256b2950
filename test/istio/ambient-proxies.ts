/**
 * The ambient proxies the real-Istio tier speaks for, and lookups in what istiod sends them:
 *   - ztunnel: a pod of its DaemonSet (KWOK runs one per node), presenting itself as
 *     ztunnel's own xDS client does (node type ztunnel, its pod, identity and node);
 *   - a waypoint: a Gateway of class istio-waypoint that istiod deploys through the
 *     operator's template, presenting itself as its istio-agent does (node type waypoint,
 *     the pod's IP, labels and ServiceAccount, and the ISTIO_META_* environment of the
 *     Deployment istiod created, which the agent turns into node metadata).
 */
import type { RestClient } from "../../operator/kube/rest-client.ts";
import { until } from "../integration/operator-harness.ts";
import type { ProxyIdentity, XdsDump } from "./real-istio.ts";

export const ADDRESS = "type.googleapis.com/istio.workload.Address";
export const AUTHORIZATION = "type.googleapis.com/istio.security.Authorization";

type Json = Record<string, any>;

/** The object at `path`, or undefined where there is none (404). */
export async function get(admin: RestClient, path: string): Promise<Json | undefined> {
  return admin.send<Json>({ method: "GET", path }).catch((error: unknown) => {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  });
}

/** The ztunnel pods KWOK runs, with their node and IP. */
export async function ztunnelPods(admin: RestClient, namespace = "istio-system"): Promise<Json[]> {
  const list = await get(admin, `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dztunnel`);
  return ((list?.items ?? []) as Json[]).filter(
    (p) => p.status?.phase === "Running" && p.status?.podIP,
  );
}

/** A ztunnel pod: the client identity of the xDS and CA requests. */
export async function firstZtunnel(admin: RestClient): Promise<Json> {
  const [pod] = await ztunnelPods(admin);
  if (!pod) throw new Error("no Running ztunnel pod");
  return pod;
}

export function ztunnelIdentity(pod: Json): ProxyIdentity {
  return {
    ip: pod.status.podIP as string,
    namespace: pod.metadata.namespace as string,
    workload: pod.metadata.name as string,
    nodeType: "ztunnel",
    serviceAccount: "ztunnel",
    labels: pod.metadata.labels as Record<string, string>,
    meta: { NODE_NAME: pod.spec.nodeName as string },
  };
}

function addresses(dump: XdsDump): Json[] {
  return dump[ADDRESS] ?? [];
}

/** The workload of a pod in a WDS answer, or undefined. */
export function workloadOf(dump: XdsDump, namespace: string, name: string): Json | undefined {
  return addresses(dump)
    .map((a) => a.workload as Json | undefined)
    .find((w) => w?.namespace === namespace && w.name === name);
}

/** A Service in a WDS answer, or undefined. */
export function serviceOf(dump: XdsDump, namespace: string, name: string): Json | undefined {
  return addresses(dump)
    .map((a) => a.service as Json | undefined)
    .find((s) => s?.namespace === namespace && s.name === name);
}

/** Raw address bytes (base64 in proto JSON) as dotted IPv4. */
export function ipv4(base64: string | undefined): string {
  return Buffer.from(base64 ?? "", "base64").join(".");
}

export const waypointGateway = (namespace: string, name: string) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name, namespace, labels: { "istio.io/waypoint-for": "service" } },
  spec: {
    gatewayClassName: "istio-waypoint",
    listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
  },
});

const condition = (object: Json | undefined, type: string) =>
  ((object?.status?.conditions ?? []) as Json[]).find((c) => c.type === type);

/** Waits until istiod's Deployment for the waypoint is Available and its Gateway Programmed. */
export async function waypointReady(
  admin: RestClient,
  namespace: string,
  name: string,
): Promise<{ deployment: Json; gateway: Json }> {
  const deployment = await until(
    `the waypoint ${namespace}/${name} Available`,
    async () => {
      const d = await get(admin, `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
      return condition(d, "Available")?.status === "True" ? d : undefined;
    },
    120_000,
  );
  const gateway = await until(
    `Gateway ${namespace}/${name} Programmed`,
    async () => {
      const g = await get(
        admin,
        `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${name}`,
      );
      return condition(g, "Programmed")?.status === "True" ? g : undefined;
    },
    120_000,
  );
  return { deployment, gateway };
}

/** What a fieldRef of the proxy container reads from its pod. */
function fieldOf(pod: Json, path: string): unknown {
  const fields: Record<string, unknown> = {
    "metadata.name": pod.metadata.name,
    "metadata.namespace": pod.metadata.namespace,
    "spec.serviceAccountName": pod.spec.serviceAccountName,
    "spec.nodeName": pod.spec.nodeName,
    "status.podIP": pod.status.podIP,
  };
  return fields[path];
}

/**
 * The waypoint's pod as its istio-agent presents it to istiod: node type waypoint, the
 * pod's IP, name, labels and ServiceAccount, and as metadata every ISTIO_META_* variable of
 * the proxy container istiod rendered (prefix dropped, fieldRefs read from the pod).
 */
export async function waypointIdentity(
  admin: RestClient,
  deployment: Json,
): Promise<ProxyIdentity> {
  const namespace = deployment.metadata.namespace as string;
  const selector = Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pod = await until(
    `a Running pod of the waypoint ${namespace}/${String(deployment.metadata.name)}`,
    async () => {
      const list = await get(
        admin,
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
      );
      return ((list?.items ?? []) as Json[]).find(
        (p) => p.status?.phase === "Running" && p.status?.podIP,
      );
    },
    60_000,
  );
  const proxy = (deployment.spec.template.spec.containers as Json[]).find(
    (c) => c.name === "istio-proxy",
  );
  const meta: Record<string, unknown> = {};
  for (const env of (proxy?.env ?? []) as Json[]) {
    const name = env.name as string;
    if (!name.startsWith("ISTIO_META_")) continue;
    const value = env.valueFrom?.fieldRef
      ? fieldOf(pod, env.valueFrom.fieldRef.fieldPath as string)
      : env.value;
    if (value !== undefined) meta[name.slice("ISTIO_META_".length)] = value;
  }
  return {
    ip: pod.status.podIP as string,
    namespace,
    workload: pod.metadata.name as string,
    nodeType: "waypoint",
    labels: pod.metadata.labels as Record<string, string>,
    serviceAccount: pod.spec.serviceAccountName as string,
    meta,
  };
}

/** istiod makes the waypoint class for ambient; the tier's other files expect only theirs. */
export async function deleteWaypointClass(admin: RestClient): Promise<void> {
  await admin
    .send({
      method: "DELETE",
      path: "/apis/gateway.networking.k8s.io/v1/gatewayclasses/istio-waypoint",
    })
    .catch(() => undefined);
}
