/**
 * report (pure part): the next MeshConfig status from what this reconcile did and saw, and
 * the comparison that decides whether to write it. Transition times are kept while a
 * condition's status holds (conditions.ts), so an unchanged mesh yields an identical status
 * and no write.
 */
import type { Condition, MeshConfigStatus } from "../api/mesh-config-status.ts";
import { settleConditions, type DesiredCondition } from "./conditions.ts";
import { canonicalJson } from "./field-ownership.ts";
import type { Observation } from "./observe.ts";

export interface StatusInput {
  readonly previous: Partial<MeshConfigStatus> | undefined;
  readonly generation: number;
  readonly conditions: readonly DesiredCondition[];
  readonly observation?: Observation;
  readonly istioVersion?: string;
  readonly managedObjects?: number;
  readonly certificateAuthority?: MeshConfigStatus["certificateAuthority"];
  /** status.revisions (revision-status.ts). */
  readonly revisions?: MeshConfigStatus["revisions"];
  /** status.workloadRestart (workload-restart-run.ts); absent when off. */
  readonly workloadRestart?: MeshConfigStatus["workloadRestart"];
  readonly now: Date;
}

/** A field of this run, or the last one written when this run did not compute it. */
function latest<T>(value: T | undefined, previous: T | undefined): { value?: T } {
  const chosen = value ?? previous;
  return chosen === undefined ? {} : { value: chosen };
}

function componentsOf(observation: Observation): MeshConfigStatus["components"] {
  return {
    ...(observation.istiod ? { istiod: observation.istiod } : {}),
    ...(Object.keys(observation.gateways).length ? { gateways: observation.gateways } : {}),
    ...(observation.ztunnel ? { ztunnel: observation.ztunnel } : {}),
    ...(observation.cni ? { cni: observation.cni } : {}),
  };
}

/**
 * status.rollout: what observe saw rolling out, with `since` kept while the same workload
 * keeps rolling (like a condition's lastTransitionTime), absent once nothing rolls. A run
 * that observed nothing keeps the last one.
 */
function rolloutOf(
  input: StatusInput,
  previous: Partial<MeshConfigStatus>,
): MeshConfigStatus["rollout"] {
  if (!input.observation) return previous.rollout;
  const rolling = input.observation.rollout;
  if (!rolling) return undefined;
  const since =
    previous.rollout?.component === rolling.component
      ? previous.rollout.since
      : input.now.toISOString().replace(/\.\d+Z$/, "Z");
  return { component: rolling.component, since, message: rolling.message };
}

/**
 * The next status. Runs that render or observe nothing (paused, stalled, failed) keep
 * what the last run that did wrote: version, components, CA dates, object count.
 */
export function nextStatus(input: StatusInput): MeshConfigStatus {
  const previous = input.previous ?? {};
  const fields = {
    istioVersion: latest(input.istioVersion, previous.istioVersion),
    components: latest(input.observation && componentsOf(input.observation), previous.components),
    certificateAuthority: latest(input.certificateAuthority, previous.certificateAuthority),
    managedObjects: latest(input.managedObjects, previous.managedObjects),
    revisions: latest(input.revisions, previous.revisions),
    rollout: latest(rolloutOf(input, previous), undefined),
    // A run that observed decides (absent: off, or the control plane still rolls).
    workloadRestart: latest(
      input.workloadRestart,
      input.observation ? undefined : previous.workloadRestart,
    ),
  };
  return {
    observedGeneration: input.generation,
    conditions: settleConditions(
      previous.conditions ?? [],
      input.conditions,
      input.generation,
      input.now,
    ),
    ...Object.fromEntries(
      Object.entries(fields).flatMap(([name, field]) =>
        "value" in field ? [[name, field.value]] : [],
      ),
    ),
  };
}

export function sameStatus(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

export function findCondition(
  status: Partial<MeshConfigStatus> | undefined,
  type: string,
): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
