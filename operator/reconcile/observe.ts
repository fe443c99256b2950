/**
 * observe (pure): what the owned objects' status says about each component. Only the
 * workload controllers' verdict counts, read by kstatus's rules (rollout.ts): a component
 * is available when the generation we applied has finished rolling out, not merely when
 * enough pods (possibly old ones) serve.
 */
import { ConditionType } from "../api/conditions.ts";
import type { RenderedObject } from "../render/render.ts";
import type { KubeObject } from "../kube/object.ts";
import { describe, identity } from "./identity.ts";
import { observeNodeAgents } from "./observe-ambient.ts";
import { rolloutOf } from "./rollout.ts";
import type { ComponentCondition } from "./summary.ts";

/** A component's replica counts as status shows them (components.istiod, gateways[...]). */
export interface Readiness {
  readonly ready: number;
  readonly updated: number;
  readonly available: number;
  readonly desired: number;
}

export interface Observation {
  readonly conditions: ComponentCondition[];
  readonly istiod?: Readiness;
  readonly gateways: Record<string, Readiness>;
  /** The first workload still rolling out, in apply order (status.rollout). */
  readonly rollout?: RollingOut;
  /** Ambient's node agents (absent in sidecar mode). */
  readonly ztunnel?: Readiness;
  readonly cni?: Readiness;
}

/** Which workload is rolling out and how far it is (status.rollout, without its since). */
export interface RollingOut {
  /** "<component> <namespace>/<name>", e.g. "gateway istio-ingress/istio-ingressgateway". */
  readonly component: string;
  readonly message: string;
}

/** Apply order: istiod first, the node agents, then the gateways (phases.ts). */
const ROLLOUT_ORDER = ["istiod", "cni", "ztunnel", "gateway"];

/** The first workload of this mesh whose current generation has not rolled out yet. */
export function rollingOut(
  desired: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
): RollingOut | undefined {
  const workloads = desired
    .filter((r) => r.object.kind === "Deployment" || r.object.kind === "DaemonSet")
    .filter((r) => ROLLOUT_ORDER.includes(r.component))
    .sort((a, b) => ROLLOUT_ORDER.indexOf(a.component) - ROLLOUT_ORDER.indexOf(b.component));
  for (const workload of workloads) {
    const rollout = rolloutOf(live.get(identity(workload.object)));
    if (rollout.done) continue;
    const { namespace = "", name } = workload.object.metadata;
    return { component: `${workload.component} ${namespace}/${name}`, message: rollout.message };
  }
  return undefined;
}

/** The current generation has finished rolling out (kstatus's Current). */
export function isAvailable(live: KubeObject | undefined): boolean {
  return rolloutOf(live).done;
}

/** The counts of a workload; before it exists, what we asked for and nothing yet. */
function readiness(rendered: RenderedObject, live: KubeObject | undefined): Readiness {
  const { ready, updated, available, desired } = rolloutOf(live);
  const asked = (rendered.object as { spec?: { replicas?: number } }).spec?.replicas ?? 1;
  return { ready, updated, available, desired: live ? desired : asked };
}

function condition(type: string, ready: boolean, reason: string, message: string) {
  return { type, status: ready ? "True" : "False", reason, message } as const;
}

/** Component conditions and readiness from the desired objects and their live copies. */
export function observe(
  desired: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
  policiesApplied: boolean,
): Observation {
  const deployments = desired.filter((r) => r.object.kind === "Deployment");
  const istiod = deployments.find((r) => r.component === "istiod");
  const gateways = deployments.filter((r) => r.component === "gateway");
  const istiodLive = istiod && live.get(identity(istiod.object));
  const istiodReady = isAvailable(istiodLive);
  const webhook = desired.find((r) => r.object.kind === "MutatingWebhookConfiguration");
  const webhookInPlace = !webhook || live.has(identity(webhook.object));
  const unavailable = gateways.filter((g) => !isAvailable(live.get(identity(g.object))));

  const conditions: ComponentCondition[] = [
    istiodReady
      ? condition(ConditionType.ControlPlaneReady, true, "Available", "istiod is available")
      : condition(
          ConditionType.ControlPlaneReady,
          false,
          "IstiodNotAvailable",
          "waiting for istiod to become Available",
        ),
    istiodReady && webhookInPlace
      ? condition(
          ConditionType.InjectorReady,
          true,
          "Serving",
          "the injection webhook is in place and istiod serves it",
        )
      : condition(
          ConditionType.InjectorReady,
          false,
          "WebhookNotReady",
          "waiting for istiod and the injection webhook",
        ),
    unavailable.length === 0
      ? condition(
          ConditionType.GatewaysReady,
          true,
          "Available",
          gateways.length ? `${gateways.length} gateway(s) available` : "no gateways requested",
        )
      : condition(
          ConditionType.GatewaysReady,
          false,
          "GatewaysNotAvailable",
          `waiting for ${unavailable.map((g) => describe(g.object)).join(", ")} to become Available`,
        ),
    policiesApplied
      ? condition(
          ConditionType.PoliciesApplied,
          true,
          "Applied",
          "mesh-wide mTLS, authorization and telemetry are applied",
        )
      : condition(
          ConditionType.PoliciesApplied,
          false,
          "Pending",
          "policies are applied once istiod is Available and its webhooks are installed",
        ),
  ];
  const agents = observeNodeAgents(desired, live);
  return {
    conditions: [...conditions, ...agents.conditions],
    ...rollingOutField(desired, live),
    ...(agents.ztunnel ? { ztunnel: agents.ztunnel } : {}),
    ...(agents.cni ? { cni: agents.cni } : {}),
    ...(istiod ? { istiod: readiness(istiod, istiodLive) } : {}),
    gateways: Object.fromEntries(
      gateways.map((g) => [
        `${g.object.metadata.namespace ?? ""}/${g.object.metadata.name}`,
        readiness(g, live.get(identity(g.object))),
      ]),
    ),
  };
}

function rollingOutField(
  desired: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
): { rollout?: RollingOut } {
  const rollout = rollingOut(desired, live);
  return rollout ? { rollout } : {};
}
