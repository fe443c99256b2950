/**
 * Workloads of a test's own on the local cluster, for the xDS tests: a namespace, Pods the
 * scheduler places on the KWOK node (which gives each one an IP, as a CNI would), the
 * Services that select them, and the identity istio-agent would present to istiod for such
 * a pod (its IP, namespace, name, labels and ServiceAccount as node metadata).
 */
import type { RestClient } from "../../operator/kube/rest-client.ts";
import { until } from "../integration/operator-harness.ts";
import { applyAsAdmin, type ProxyIdentity } from "./real-istio.ts";

export interface PodInput {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount?: string;
  /** Container ports the application listens on. */
  readonly ports?: number[];
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
}

export async function createNamespace(
  admin: RestClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await applyAsAdmin(admin, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels },
  });
}

/**
 * Deletes the namespace and everything in it, and waits until the namespace controller
 * has finished: the tier's files share one cluster, and a file that looks at all
 * namespaces (istioctl analyze -A) must not see the objects of the file before it.
 */
export async function deleteNamespace(admin: RestClient, name: string): Promise<void> {
  const path = `/api/v1/namespaces/${name}`;
  await admin.send({ method: "DELETE", path }).catch(() => undefined);
  await until(
    `namespace ${name} deleted`,
    () =>
      admin.send({ method: "GET", path }).then(
        () => false,
        (error: unknown) => (error as { status?: number }).status === 404,
      ),
    120_000,
  );
}

/**
 * Creates the Pod (and its ServiceAccount) and waits until KWOK reports it Running with
 * an IP; returns what its sidecar would tell istiod.
 */
export async function runPod(admin: RestClient, input: PodInput): Promise<ProxyIdentity> {
  const serviceAccount = input.serviceAccount ?? "default";
  if (serviceAccount !== "default")
    await applyAsAdmin(admin, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: serviceAccount, namespace: input.namespace },
    });
  await applyAsAdmin(admin, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: input.name, namespace: input.namespace, labels: input.labels },
    spec: {
      serviceAccountName: serviceAccount,
      containers: [
        {
          name: "app",
          image: "registry.invalid/app:1",
          ports: (input.ports ?? []).map((containerPort) => ({ containerPort })),
        },
      ],
    },
  });
  const ip = await until(
    `an IP for pod ${input.namespace}/${input.name}`,
    async () => {
      const pod = await admin.send<{ status?: { podIP?: string; phase?: string } }>({
        method: "GET",
        path: `/api/v1/namespaces/${input.namespace}/pods/${input.name}`,
      });
      return pod.status?.phase === "Running" ? pod.status.podIP : undefined;
    },
    60_000,
  );
  return {
    ip,
    namespace: input.namespace,
    workload: input.name,
    labels: input.labels,
    serviceAccount,
  };
}

/** A ClusterIP Service selecting `selector`, with numbered target ports. */
export async function exposeService(
  admin: RestClient,
  namespace: string,
  name: string,
  selector: Record<string, string>,
  ports: ServicePort[],
): Promise<void> {
  await applyAsAdmin(admin, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector, ports: ports.map((p) => ({ ...p, protocol: "TCP" })) },
  });
}

/** The fully qualified name istiod gives a Service (and its outbound clusters). */
export function serviceHost(namespace: string, name: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}
