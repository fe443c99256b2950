/**
 * One MeshConfig per combination of status conditions, with what Argo CD's health check
 * and kstatus must make of it. The summary conditions come from the operator's own
 * summaryConditions(), so these are the statuses the operator writes; the few that it
 * never writes (marked "crafted") check that the readers stay sensible anyway.
 */
import { settleConditions } from "../../../operator/reconcile/conditions.ts";
import {
  summaryConditions,
  type ComponentCondition,
  type Outcome,
} from "../../../operator/reconcile/summary.ts";

export interface StatusCase {
  readonly name: string;
  readonly object: Record<string, unknown>;
  /** Argo CD health status, and a fragment of its message. */
  readonly argo: readonly [status: string, message: string];
  /** kstatus status, and a fragment of its message. */
  readonly kstatus: readonly [status: string, message: string];
}

const NOW = new Date("2026-11-22T10:00:00Z");

const SERVING: ComponentCondition[] = [
  {
    type: "ControlPlaneReady",
    status: "True",
    reason: "Available",
    message: "istiod is available",
  },
  {
    type: "InjectorReady",
    status: "True",
    reason: "Serving",
    message: "the injection webhook is in place and istiod serves it",
  },
  { type: "GatewaysReady", status: "True", reason: "Available", message: "2 gateway(s) available" },
  {
    type: "PoliciesApplied",
    status: "True",
    reason: "Applied",
    message: "mesh-wide mTLS, authorization and telemetry are applied",
  },
];

const STARTING: ComponentCondition[] = [
  {
    type: "ControlPlaneReady",
    status: "False",
    reason: "IstiodNotAvailable",
    message: "waiting for istiod to become Available",
  },
  ...SERVING.slice(1).map((c) => ({ ...c, status: "False" as const, reason: "Pending" })),
];

function meshConfig(generation: number, status?: Record<string, unknown>) {
  return {
    apiVersion: "meshkeeper.dev/v1alpha1",
    kind: "MeshConfig",
    metadata: { name: "default", generation, uid: "5b0f6b0e-2a43-4c3e-9d55-2f5d3c1a7e11" },
    spec: { version: "1.31.1" },
    ...(status ? { status } : {}),
  };
}

/** The status the operator writes after a reconcile of `generation` with this outcome. */
function written(
  generation: number,
  outcome: Outcome,
  components: ComponentCondition[],
  observedGeneration = generation,
) {
  const conditions = settleConditions([], summaryConditions(outcome, components), generation, NOW);
  return meshConfig(generation, { observedGeneration, conditions });
}

function crafted(generation: number, conditions: Record<string, [string, string, string]>) {
  return meshConfig(generation, {
    observedGeneration: generation,
    conditions: Object.entries(conditions).map(([type, [status, reason, message]]) => ({
      type,
      status,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: "2026-11-22T10:00:00Z",
    })),
  });
}

export const CASES: readonly StatusCase[] = [
  {
    name: "no status at all (an object from before the status default)",
    object: meshConfig(1),
    argo: ["Progressing", "report a status"],
    // kstatus has nothing to go on and calls it Current: the reason for the -1 default.
    kstatus: ["Current", "Resource is current"],
  },
  {
    name: "fresh: the schema default observedGeneration -1, not seen yet",
    object: meshConfig(1, { observedGeneration: -1 }),
    argo: ["Progressing", "see this MeshConfig"],
    kstatus: ["InProgress", "generation is 1, but latest observed generation is -1"],
  },
  {
    name: "stale: a new generation, the status still says Ready for the old one",
    object: written(3, { kind: "Applied" }, SERVING, 2),
    argo: ["Progressing", "act on generation 3 (last seen: 2)"],
    kstatus: ["InProgress", "generation is 3, but latest observed generation is 2"],
  },
  {
    name: "Reconciling: a phase waits for istiod",
    object: written(
      1,
      {
        kind: "Waiting",
        reason: "IstiodNotAvailable",
        message: "webhooks: waiting for istiod to become Available",
      },
      STARTING,
    ),
    argo: ["Progressing", "IstiodNotAvailable: webhooks: waiting for istiod"],
    kstatus: ["InProgress", "webhooks: waiting for istiod"],
  },
  {
    name: "Reconciling: a transient failure, retried with backoff",
    object: written(
      1,
      { kind: "Failed", reason: "ApplyFailed", message: "the API server is unavailable" },
      STARTING,
    ),
    argo: ["Progressing", "ApplyFailed: the API server is unavailable"],
    kstatus: ["InProgress", "the API server is unavailable"],
  },
  {
    name: "Reconciling: everything applied, gateways still rolling out",
    object: written(1, { kind: "Applied" }, [
      ...SERVING.slice(0, 2),
      {
        type: "GatewaysReady",
        status: "False",
        reason: "GatewaysNotAvailable",
        message: "waiting for istio-ingress/istio-ingressgateway to become Available",
      },
      ...SERVING.slice(3),
    ]),
    argo: ["Progressing", "GatewaysNotAvailable: waiting for istio-ingress"],
    kstatus: ["InProgress", "istio-ingressgateway"],
  },
  {
    name: "Ready: applied, every component serving",
    object: written(4, { kind: "Applied" }, SERVING),
    argo: ["Healthy", "MeshReady: istiod, the injector and every gateway are serving"],
    // Reconciling and Stalled are False, so kstatus falls back to Ready=True.
    kstatus: ["Current", "Resource is Ready"],
  },
  {
    name: "Stalled: InvalidSpec",
    object: written(
      2,
      {
        kind: "Stalled",
        reason: "InvalidSpec",
        message: "spec.gateways[0].name: must be a DNS label; fix the spec",
      },
      [],
    ),
    argo: ["Degraded", "InvalidSpec: spec.gateways[0].name: must be a DNS label"],
    kstatus: ["Failed", "spec.gateways[0].name"],
  },
  {
    name: "Stalled: UnsupportedVersion, the old mesh still serving",
    object: written(
      5,
      {
        kind: "Stalled",
        reason: "UnsupportedVersion",
        message: 'version "1.20.0" is not supported; use one of 1.29.2, 1.31.1',
      },
      SERVING,
    ),
    argo: ["Degraded", 'UnsupportedVersion: version "1.20.0" is not supported'],
    kstatus: ["Failed", '"1.20.0" is not supported'],
  },
  {
    name: "Stalled: ProgressDeadlineExceeded",
    object: written(
      1,
      {
        kind: "Stalled",
        reason: "ProgressDeadlineExceeded",
        message: "the mesh is not available after 600 s: waiting for istiod",
      },
      STARTING,
    ),
    argo: ["Degraded", "ProgressDeadlineExceeded: the mesh is not available after 600 s"],
    kstatus: ["Failed", "not available after 600 s"],
  },
  {
    name: "Paused after Ready: Reconciled=False/Paused, not reconciling",
    object: written(4, { kind: "Paused" }, SERVING),
    argo: ["Suspended", "Paused: reconciliation is paused: remove the annotation"],
    // Nothing in progress, nothing stalled, Ready=True: to kstatus a paused mesh is Current.
    kstatus: ["Current", "Resource is Ready"],
  },
  {
    name: "Paused before anything was observed",
    object: written(1, { kind: "Paused" }, []),
    argo: ["Suspended", "meshkeeper.dev/paused"],
    // kstatus reads Ready=False as still in progress.
    kstatus: ["InProgress", "paused before anything was observed"],
  },
  {
    name: "crafted: Reconciled=False, not reconciling, not stalled",
    object: crafted(2, {
      Ready: ["True", "MeshReady", "serving"],
      Reconciled: ["False", "ApplyFailed", "the webhook rejected the Deployment"],
      Reconciling: ["False", "ApplyFailed", "gave up"],
      Stalled: ["False", "ApplyFailed", "not stuck"],
    }),
    argo: ["Degraded", "ApplyFailed: the webhook rejected the Deployment"],
    // kstatus does not read Reconciled: with Ready=True it is Current.
    kstatus: ["Current", "Resource is Ready"],
  },
  {
    name: "crafted: Ready=False but applied, not reconciling, not stalled",
    object: crafted(2, {
      Ready: ["False", "IstiodNotAvailable", "waiting for istiod to become Available"],
      Reconciled: ["True", "Applied", "every object of this generation is applied"],
      Reconciling: ["False", "Applied", "nothing left to do"],
      Stalled: ["False", "Applied", "nothing needs a person"],
    }),
    argo: ["Progressing", "IstiodNotAvailable: waiting for istiod"],
    kstatus: ["InProgress", "waiting for istiod to become Available"],
  },
  {
    name: "crafted: Stalled=True and Reconciling=True at once: the terminal problem wins",
    object: crafted(2, {
      Stalled: ["True", "InvalidSpec", "fix the spec"],
      Reconciling: ["True", "Applying", "still applying"],
    }),
    argo: ["Degraded", "InvalidSpec: fix the spec"],
    // kstatus takes the first abnormal-true condition in list order.
    kstatus: ["Failed", "fix the spec"],
  },
  {
    name: "crafted: current generation, no conditions yet",
    object: meshConfig(1, { observedGeneration: 1 }),
    argo: ["Progressing", "Waiting for the mesh to become Ready"],
    kstatus: ["Current", "Resource is current"],
  },
];
