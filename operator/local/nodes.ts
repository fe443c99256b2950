/**
 * The simulated nodes. They are ordinary Node objects with the label KWOK watches for and
 * no taints, so workloads schedule onto them without tolerations, as on a real cluster.
 */
import { CoreV1Api, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { LocalClusterError } from "./errors.ts";
import { KWOK_NODE_LABEL } from "./kwok-stages.ts";

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

export async function createReadyNodes(
  config: KubeConfig,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const names = nodeNames(count);
  await Promise.all(names.map((name) => core.createNode({ body: kwokNode(name) })));
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(names);
  while (pending.size > 0) {
    for (const name of [...pending]) {
      if (isReady(await core.readNode({ name }))) pending.delete(name);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new LocalClusterError(
        `KWOK did not mark node(s) ${[...pending].join(", ")} Ready within ${timeoutMs / 1000}s`,
        "read the kwok log in the cluster's logs folder",
      );
    }
    await sleep(100);
  }
}
