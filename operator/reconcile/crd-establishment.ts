/**
 * A CRD whose names are accepted but that never becomes Established. The API server
 * establishes a CRD a few seconds after accepting its names; if it restarts inside that
 * window, the new process does not pick the CRD up again and it stays "Installing" until
 * something updates it (seen on Kubernetes 1.36 when the API server restarted during our
 * install; test/integration/operator-ha.test.ts). The reconciler then touches it once per
 * grace period with an annotation, which makes the API server look at it again.
 */
import type { KubeObject } from "../kube/object.ts";

import { NUDGE_ANNOTATION } from "../api/distribution.ts";

export { NUDGE_ANNOTATION } from "../api/distribution.ts";
const GRACE_MS = 10_000;

interface CrdCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

function time(value: unknown): number {
  return typeof value === "string" ? Date.parse(value) || 0 : 0;
}

function isStuck(object: KubeObject, now: Date): boolean {
  const conditions =
    (object.status as { conditions?: CrdCondition[] } | undefined)?.conditions ?? [];
  const accepted = conditions.some((c) => c.type === "NamesAccepted" && c.status === "True");
  const established = conditions.find((c) => c.type === "Established");
  if (!accepted || established?.status === "True") return false;
  const annotations = object.metadata.annotations ?? {};
  // Waiting since the later of: the condition's change, the creation, our last nudge.
  const since = Math.max(
    time(established?.lastTransitionTime),
    time(object.metadata.creationTimestamp),
    time(annotations[NUDGE_ANNOTATION]),
  );
  return now.getTime() - since > GRACE_MS;
}

/** CRDs (pure): names accepted, not Established for longer than the grace period. */
export function stuckCrds(objects: Iterable<KubeObject>, now: Date): KubeObject[] {
  return [...objects].filter((o) => o.kind === "CustomResourceDefinition" && isStuck(o, now));
}
