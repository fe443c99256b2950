/**
 * In-place version jumps (pure): Istio's support policy for in-place upgrades
 * (istio.io/latest/docs/setup/upgrade/in-place): the installed version may be at most one
 * minor version below the target, and a downgrade may go at most one minor version back.
 * Patch changes inside a minor, and one minor up or down, are allowed; anything further is
 * refused before anything is touched (Stalled/UnsupportedVersion, naming spec.version).
 *
 * The version running now comes from the cluster, level-based: the live istiod Deployment
 * of the revision the spec applies in place, by its meshkeeper.dev/istio-version label
 * (revision-plan.ts liveRevisions, which falls back to the image tag for an istiod applied
 * before the label existed). Not from status.istioVersion: status says what was last
 * asked for, and a refused or half-applied spec must not move the reference point. Only
 * while the cache has not listed yet does status.istioVersion stand in.
 * RevisionBased upgrades run the new version beside the old one and are not judged here.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { activeRevision, type RevisionRef } from "../render/revisions.ts";

export const IN_PLACE_UPGRADE_DOCS = "https://istio.io/latest/docs/setup/upgrade/in-place/";

export interface JumpRefusal {
  readonly kind: "refused";
  readonly reason: "UnsupportedVersion";
  readonly message: string;
}

function majorMinor(version: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)\./.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** How many minor versions from `from` to `to` (negative: a downgrade); undefined across majors. */
export function minorDistance(from: string, to: string): number | undefined {
  const a = majorMinor(from);
  const b = majorMinor(to);
  if (!a || !b || a[0] !== b[0]) return undefined;
  return b[1] - a[1];
}

/**
 * Why an in-place change from `running` to spec.version is refused, or undefined when it is
 * allowed (or nothing runs yet, or the strategy is RevisionBased).
 */
export function inPlaceJumpRefusal(
  spec: MeshConfigSpec,
  live: readonly RevisionRef[],
  recordedVersion?: string,
): JumpRefusal | undefined {
  if (spec.updateStrategy.type !== "InPlace") return undefined;
  const active = activeRevision(spec);
  const running = live.find((r) => r.name === active.name)?.version ?? recordedVersion;
  if (!running || running === spec.version) return undefined;
  const distance = minorDistance(running, spec.version);
  if (distance !== undefined && Math.abs(distance) <= 1) return undefined;
  return {
    kind: "refused",
    reason: "UnsupportedVersion",
    message: refusal(running, spec.version, distance),
  };
}

function nextStep(running: string, downgrade: boolean): string {
  const [major, minor] = majorMinor(running) ?? [];
  if (major === undefined || minor === undefined) return "";
  return downgrade
    ? ` Downgrade to ${major}.${minor - 1}.x first.`
    : ` Upgrade to ${major}.${minor + 1}.x first.`;
}

function refusal(running: string, target: string, distance: number | undefined): string {
  const downgrade = distance !== undefined && distance < 0;
  const by = distance === undefined ? "a major version" : `${Math.abs(distance)} minor versions`;
  return (
    `spec.version ${target} is an in-place ${downgrade ? "downgrade" : "upgrade"} from the ` +
    `running ${running} by ${by}; Istio supports in-place upgrades and downgrades of at most ` +
    `one minor version (${IN_PLACE_UPGRADE_DOCS}), so nothing was changed.` +
    `${nextStep(running, downgrade)} Or set spec.version back to ${running}, or use ` +
    `spec.updateStrategy.type RevisionBased.`
  );
}
