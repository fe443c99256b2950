/**
 * observe, the ambient part (pure): the node agents' conditions and counts from their
 * DaemonSets, by the same kstatus rules as every workload (rollout.ts): ztunnel or the CNI
 * agent is ready when the generation we applied runs, updated and available, on every node
 * it is scheduled to, with no old pod left. Nothing is observed in sidecar mode (the
 * conditions are then absent, not False).
 */
import { ConditionType } from "../api/conditions.ts";
import type { KubeObject } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import { identity } from "./identity.ts";
import { rolloutOf } from "./rollout.ts";
import type { ComponentCondition } from "./summary.ts";

export interface AgentCounts {
  readonly ready: number;
  readonly updated: number;
  readonly available: number;
  readonly desired: number;
}

export interface NodeAgents {
  readonly conditions: ComponentCondition[];
  readonly ztunnel?: AgentCounts;
  readonly cni?: AgentCounts;
}

const AGENTS = [
  { component: "ztunnel", type: ConditionType.ZtunnelReady, what: "ztunnel" },
  { component: "cni", type: ConditionType.CNIReady, what: "the istio-cni node agent" },
] as const;

export function observeNodeAgents(
  desired: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
): NodeAgents {
  const conditions: ComponentCondition[] = [];
  const counts: { ztunnel?: AgentCounts; cni?: AgentCounts } = {};
  for (const agent of AGENTS) {
    const daemonSet = desired.find(
      (r) => r.component === agent.component && r.object.kind === "DaemonSet",
    );
    if (!daemonSet) continue;
    const rollout = rolloutOf(live.get(identity(daemonSet.object)));
    const { ready, updated, available, desired: wanted } = rollout;
    counts[agent.component] = { ready, updated, available, desired: wanted };
    conditions.push(
      rollout.done
        ? {
            type: agent.type,
            status: "True",
            reason: "Available",
            message: `${agent.what} runs on ${wanted} node(s), updated and available`,
          }
        : {
            type: agent.type,
            status: "False",
            reason: rollout.reason,
            message: `waiting for ${agent.what} (DaemonSet ${daemonSet.object.metadata.namespace ?? ""}/${daemonSet.object.metadata.name}) to roll out: ${rollout.message}`,
          },
    );
  }
  return { conditions, ...counts };
}
