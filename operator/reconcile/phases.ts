/**
 * The apply phases of DESIGN.md. Each phase is applied whole, then its gate is checked; a
 * closed gate ends the reconcile as Waiting (and requeues) instead of blocking the process.
 *   1 namespaces and Istio CRDs          gate: every CRD Established
 *   2 the CA secrets                     gate: the CA is valid (certificate-authority.ts)
 *   3 RBAC, ConfigMaps, Services          -
 *   4 istiod Deployment and its scaling  gate: istiod Available
 *   5 webhooks (injector, validator)     -
 *   6 PeerAuthentication, AuthorizationPolicy, Telemetry
 *   7 gateways
 */
import type { RenderedObject } from "../render/render.ts";

export const PHASE_NAMES = [
  "namespaces and CRDs",
  "CA secret",
  "RBAC, config and services",
  "istiod",
  "webhooks",
  "policies",
  "gateways",
] as const;

/** The phase the CA is ensured in (certificate-authority.ts), by index. */
export const CA_PHASE = 1;

const WORKLOAD_KINDS = new Set(["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
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
