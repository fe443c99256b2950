/**
 * The simulated nodes. They are ordinary Node objects with the label KWOK watches for and
 * no taints, so workloads schedule onto them without tolerations, as on a real cluster.
 */
import { CoreV1Api, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import { waitUntilHealthy } from "./health.ts";
import { KWOK_NODE_LABEL } from "./kwok-stages.ts";
import type { ManagedProcess } from "./process.ts";

export function kwokNode(name: string): V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        [KWOK_NODE_LABEL]: "true",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/worker": "",
        type: "kwok",
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0" },
    },
  };
}

export function nodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `kwok-node-${index}`);
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** Creates the nodes and waits until KWOK has made each Ready; fails fast if KWOK dies. */
export async function createReadyNodes(
  config: KubeConfig,
  count: number,
  kwok: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const names = nodeNames(count);
  await Promise.all(names.map((name) => core.createNode({ body: kwokNode(name) })));
  const allReady = async () => {
    const nodes = await Promise.all(names.map((name) => core.readNode({ name })));
    return nodes.every(isReady);
  };
  await waitUntilHealthy(kwok, allReady, timeoutMs, `make ${names.join(", ")} Ready`);
}
