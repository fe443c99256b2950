/**
 * The phase gates (pure), by the names the phase table gives them (phases.ts): each says
 * why the next phase may not go yet, or nothing when it may. They read only the phase's
 * own objects, the live view apply built, and the secure step's answer.
 */
import { GateReason } from "../api/conditions.ts";
import { hasTrueCondition, type KubeObject } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import type { CaState } from "./certificate-authority.ts";
import { describe, identity } from "./identity.ts";
import { isAvailable } from "./observe.ts";
import type { GateName } from "./phases.ts";

export interface Blocked {
  readonly reason: string;
  readonly message: string;
}

export interface GateInput {
  readonly objects: readonly RenderedObject[];
  readonly live: ReadonlyMap<string, KubeObject>;
  readonly ca: CaState | undefined;
}

type Gate = (input: GateInput) => Blocked | undefined;

export const GATES: Readonly<Record<GateName, Gate>> = {
  crdsEstablished: ({ objects, live }) => {
    const pending = objects.filter(
      (r) =>
        r.object.kind === "CustomResourceDefinition" &&
        !hasTrueCondition(live.get(identity(r.object)), "Established"),
    );
    if (pending.length === 0) return undefined;
    return {
      reason: GateReason.CRDsNotEstablished,
      // One stable message, so each CRD that becomes Established does not rewrite status.
      message: "waiting for Istio's CRDs to be Established",
    };
  },
  caReady: ({ ca }) => {
    if (!ca) throw new Error("the CA gate was reached before the secure step ran");
    return ca.kind === "failed" ? { reason: ca.reason, message: ca.message } : undefined;
  },
  istiodAvailable: ({ objects, live }) => {
    const istiod = objects.find((r) => r.component === "istiod" && r.object.kind === "Deployment");
    if (!istiod || isAvailable(live.get(identity(istiod.object)))) return undefined;
    return {
      reason: GateReason.IstiodNotAvailable,
      message: `waiting for ${describe(istiod.object)} to become Available before installing webhooks and policies`,
    };
  },
};
