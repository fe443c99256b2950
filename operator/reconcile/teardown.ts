/**
 * Delete: a MeshConfig being deleted is taken down in order (policies, gateways, webhooks,
 * istiod; phases.ts TEARDOWN_ORDER), one step per reconcile, each step started once the
 * previous one's objects are gone. The finalizer is released when nothing is left, or when
 * the deadline passes (an object stuck on someone else's finalizer must not hold the mesh's
 * deletion forever); until then status says what it is blocked on.
 * Kept: namespaces and CRDs (never ApplySet members) and the CA secret (not owned).
 */
import { EventReason, Reason } from "../api/conditions.ts";
import { FINALIZER } from "../api/distribution.ts";
import type { KubeObject } from "../kube/object.ts";
import { COMPONENT_LABEL, COMPONENTS, type Component } from "../render/render.ts";
import { describe } from "./identity.ts";
import { phaseOf, TEARDOWN_ORDER } from "./phases.ts";
import { isOurMember } from "./prune.ts";
import type { Outcome } from "./summary.ts";

export type TeardownStep =
  | { readonly kind: "done" }
  | {
      readonly kind: "delete";
      readonly objects: readonly KubeObject[];
      readonly blockedOn: string;
    };

function phaseOfLive(object: KubeObject): number {
  const label = object.metadata.labels?.[COMPONENT_LABEL];
  const component = (COMPONENTS as readonly string[]).includes(label ?? "")
    ? (label as Component)
    : "istiod";
  return phaseOf({ component, object: object });
}

/** The next teardown step (pure): the objects of the first step that still has some. */
export function nextTeardownStep(
  live: readonly KubeObject[],
  parent: { name: string; uid: string },
): TeardownStep {
  const ours = live.filter((o) => isOurMember(o, parent));
  for (const phases of TEARDOWN_ORDER) {
    const step = ours.filter((o) => phases.includes(phaseOfLive(o)));
    if (step.length === 0) continue;
    const names = step.slice(0, 3).map((o) => describe(o));
    const more = step.length > 3 ? ` and ${step.length - 3} more` : "";
    return {
      kind: "delete",
      objects: step.filter((o) => !o.metadata.deletionTimestamp),
      blockedOn: `waiting for ${names.join(", ")}${more} to be deleted`,
    };
  }
  return { kind: "done" };
}

export interface TeardownInput {
  readonly parent: { readonly name: string; readonly uid: string };
  readonly finalizers: readonly string[];
  readonly deletionTimestamp: string | undefined;
  /** What the watches hold, and the kinds they have not listed yet. */
  readonly live: readonly KubeObject[];
  readonly unsyncedKinds: readonly string[];
  readonly now: Date;
  readonly timeoutMs: number;
  /** The control-plane namespace whose generated CA goes with the mesh, if the spec says so. */
  readonly caNamespace: string | undefined;
}

/** What one teardown reconcile does (pure); teardown-run.ts carries it out. */
export type TeardownPlan =
  /** Not ours to hold (no finalizer of ours): nothing to do. */
  | { readonly kind: "none" }
  /** Delete these (maybe none: waiting on earlier deletes or on the watches), say why in status. */
  | {
      readonly kind: "wait";
      readonly deletes: readonly KubeObject[];
      readonly outcome: Extract<Outcome, { kind: "Waiting" }>;
    }
  /** Release the finalizer; before it, delete the generated CA of this namespace. */
  | {
      readonly kind: "release";
      readonly complete: boolean;
      readonly deleteCaIn: string | undefined;
      readonly warning: { readonly reason: string; readonly note: string } | undefined;
    };

export function planTeardown(input: TeardownInput): TeardownPlan {
  if (!input.finalizers.includes(FINALIZER)) return { kind: "none" };
  const step = nextTeardownStep(input.live, input.parent);
  const started = Date.parse(input.deletionTimestamp ?? "");
  const overdue = input.now.getTime() - started > input.timeoutMs;
  const complete = step.kind === "done" && input.unsyncedKinds.length === 0;
  if (complete || overdue)
    return {
      kind: "release",
      complete: step.kind === "done",
      deleteCaIn: step.kind === "done" ? input.caNamespace : undefined,
      warning:
        step.kind === "done"
          ? undefined
          : {
              reason: EventReason.TeardownTimedOut,
              note: `released the finalizer while still ${step.blockedOn}; the garbage collector takes the rest`,
            },
    };
  const blockedOn =
    step.kind === "delete"
      ? step.blockedOn
      : `waiting for the watches of ${input.unsyncedKinds.join(", ")}`;
  return {
    kind: "wait",
    deletes: step.kind === "delete" ? step.objects : [],
    outcome: {
      kind: "Waiting",
      reason: Reason.Deleting,
      message: `tearing the mesh down: ${blockedOn}`,
    },
  };
}
