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
  readonly now: Date;
}

export function nextStatus(input: StatusInput): MeshConfigStatus {
  const previous = input.previous ?? {};
  const { observation } = input;
  // Runs that render nothing (paused, stalled, failed) keep the version last applied.
  const istioVersion = input.istioVersion ?? previous.istioVersion;
  return {
    observedGeneration: input.generation,
    conditions: settleConditions(
      previous.conditions ?? [],
      input.conditions,
      input.generation,
      input.now,
    ),
    ...(istioVersion ? { istioVersion } : {}),
    ...(observation
      ? {
          components: {
            ...(observation.istiod ? { istiod: observation.istiod } : {}),
            ...(Object.keys(observation.gateways).length ? { gateways: observation.gateways } : {}),
          },
        }
      : previous.components
        ? { components: previous.components }
        : {}),
    ...(previous.certificateAuthority
      ? { certificateAuthority: previous.certificateAuthority }
      : {}),
    ...(input.managedObjects !== undefined
      ? { managedObjects: input.managedObjects }
      : previous.managedObjects !== undefined
        ? { managedObjects: previous.managedObjects }
        : {}),
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
