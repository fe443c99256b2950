/**
 * The apply phases of DESIGN.md, as a table: each phase is applied whole, then its gate
 * (gates.ts) is checked; a closed gate ends the reconcile as Waiting (and requeues)
 * instead of blocking the process.
 *   1 namespaces and Istio CRDs          gate: every CRD Established
 *   2 the CA secrets                     gate: the CA is valid (the secure step's answer)
 *   3 RBAC, ConfigMaps, Services          -
 *   4 istiod Deployment and its scaling, ztunnel and CNI DaemonSets   gate: istiod Available
 *   5 webhooks (injector, validator)     -
 *   6 PeerAuthentication, AuthorizationPolicy, Telemetry
 *   7 gateways
 * The CA's Secrets are not applied objects: the secure step (certificate-authority.ts)
 * creates them between phases 1 and 2, and phase 2's gate reads its answer.
 */
import type { RenderedObject } from "../render/render.ts";

export type GateName = "crdsEstablished" | "caReady" | "istiodAvailable";

export interface Phase {
  readonly name: string;
  readonly gate?: GateName;
}

export const PHASES: readonly Phase[] = [
  { name: "namespaces and CRDs", gate: "crdsEstablished" },
  { name: "CA secret", gate: "caReady" },
  { name: "RBAC, config and services" },
  { name: "istiod", gate: "istiodAvailable" },
  { name: "webhooks" },
  { name: "policies" },
  { name: "gateways" },
];

export const PHASE_NAMES = PHASES.map((phase) => phase.name);

/** The phase whose gate is the CA (certificate-authority.ts), by index: secure runs before it. */
export const CA_PHASE = PHASES.findIndex((phase) => phase.name === "CA secret");

export function phaseName(phase: number): string {
  return PHASE_NAMES[phase] ?? `phase ${phase}`;
}

// The ambient node agents roll out beside istiod: ztunnel retries until istiod serves it,
// and the CNI agent needs nothing from istiod.
const WORKLOAD_KINDS = new Set([
  "Deployment",
  "DaemonSet",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
]);
const WEBHOOK_KINDS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

/** The phase index (0-based into PHASE_NAMES) an object is applied in. */
export function phaseOf({ component, object }: RenderedObject): number {
  if (component === "namespaces" || object.kind === "CustomResourceDefinition") return 0;
  if (object.kind === "Secret" && component === "istiod") return 1;
  if (component === "gateway") return 6;
  if (component === "policies") return 5;
  if (WEBHOOK_KINDS.has(object.kind)) return 4;
  if (WORKLOAD_KINDS.has(object.kind)) return 3;
  return 2;
}

/** Rendered objects grouped by phase, keeping the render order inside each phase. */
export function inPhases(rendered: readonly RenderedObject[]): RenderedObject[][] {
  const phases: RenderedObject[][] = PHASE_NAMES.map(() => []);
  for (const r of rendered) phases[phaseOf(r)]?.push(r);
  return phases;
}

/**
 * Teardown order on delete (DESIGN.md: policies, gateways, webhooks, istiod), by phase:
 * the reverse of the apply order, except that policies go before gateways so traffic is
 * never left without the rules that let it through.
 */
export const TEARDOWN_ORDER: readonly (readonly number[])[] = [[5], [6], [4], [3, 2, 1]];
