/**
 * The CA in status and in istiod's pod template (pure): CAReady, CACertificateExpiring
 * (present only while the root is within renewBefore of expiring: roots are never rotated
 * silently, a person must plan it), the expiry dates, and the bundle hash that makes
 * istiod roll when the CA changes.
 */
import { CaReason, ConditionType } from "../api/conditions.ts";
import type { MeshConfigStatus } from "../api/mesh-config-status.ts";
import type { KubeObject } from "../kube/object.ts";
import type { CaState } from "./certificate-authority.ts";
import { rememberedBy } from "./remember.ts";
import type { ComponentCondition } from "./summary.ts";

import { CA_HASH_ANNOTATION } from "../api/distribution.ts";

export { CA_HASH_ANNOTATION } from "../api/distribution.ts";

const day = (date: Date) => date.toISOString().slice(0, 10);

/** CAReady (and CACertificateExpiring) for this run; before the CA step ran, the last ones. */
export function caConditions(
  ca: CaState | undefined,
  previous: Partial<MeshConfigStatus> | undefined,
): ComponentCondition[] {
  if (!ca) {
    const kept = (previous?.conditions ?? []).filter(
      (c) => c.type === ConditionType.CAReady || c.type === ConditionType.CACertificateExpiring,
    );
    return kept.map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  }
  if (ca.kind === "failed")
    return [
      { type: ConditionType.CAReady, status: "False", reason: ca.reason, message: ca.message },
    ];
  const ready: ComponentCondition = {
    type: ConditionType.CAReady,
    status: "True",
    reason: CaReason.Valid,
    message: `the mesh CA is valid: intermediate until ${day(ca.intermediateNotAfter)}, root until ${day(ca.rootNotAfter)}`,
  };
  if (!ca.rootExpiringSoon) return [ready];
  return [
    ready,
    {
      type: ConditionType.CACertificateExpiring,
      status: "True",
      reason: CaReason.RootExpiringSoon,
      message: `the root CA expires on ${day(ca.rootNotAfter)}: roots are never rotated automatically; plan a root rotation`,
    },
  ];
}

export function caExpiry(ca: Extract<CaState, { kind: "ready" }>) {
  const seconds = (date: Date) => date.toISOString().replace(/\.\d+Z$/, "Z");
  return {
    rootNotAfter: seconds(ca.rootNotAfter),
    intermediateNotAfter: seconds(ca.intermediateNotAfter),
  };
}

/** istiod's Deployment with the CA hash on its pod template; other objects unchanged. */
export function withCaHash(object: KubeObject, hash: string): KubeObject {
  return hashed(object, hash);
}

// Remembered per object and hash: a no-op reconcile gets the same Deployment back.
const hashed = rememberedBy((object: KubeObject, hash: string): KubeObject => {
  if (
    object.kind !== "Deployment" ||
    object.metadata.labels?.["app.kubernetes.io/component"] !== "istiod"
  )
    return object;
  const spec = object.spec as { template: { metadata?: { annotations?: Record<string, string> } } };
  const template = spec.template;
  return {
    ...object,
    spec: {
      ...spec,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          annotations: { ...template.metadata?.annotations, [CA_HASH_ANNOTATION]: hash },
        },
      },
    },
  };
});
