/**
 * apply: the phases of the table in order (phases.ts), each phase's objects in parallel,
 * each object skipped when unchanged (applier.ts). After a phase its named gate is checked
 * (gates.ts); a closed gate stops here and says what it waits for, and the watch on the
 * awaited object (or the requeue) brings the next attempt. The answer carries the live
 * view: the copy of every object looked at, which observe reads afterwards.
 */
import { GateReason } from "../api/conditions.ts";
import { NotServedError } from "../kube/discovery.ts";
import type { KubeObject, ObjectRef } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import type { ObjectApplier } from "./applier.ts";
import type { CaState } from "./certificate-authority.ts";
import { GATES } from "./gates.ts";
import { identity } from "./identity.ts";
import { PHASES } from "./phases.ts";

export type PhasesResult =
  | { readonly kind: "done"; readonly writes: number }
  | {
      readonly kind: "waiting";
      readonly phase: number;
      readonly reason: string;
      readonly message: string;
      readonly writes: number;
    };

/** The live copy of every object apply looked at, by identity (identity.ts). */
export type LiveView = ReadonlyMap<string, KubeObject>;

export interface Applied {
  readonly result: PhasesResult;
  readonly live: LiveView;
}

export interface ApplyInput {
  /** The objects by phase index (inPhases). */
  readonly phases: readonly (readonly RenderedObject[])[];
  /** The phases to run: [from, to). */
  readonly from: number;
  readonly to: number;
  /** The secure step's answer, for the CA gate and istiod's CA hash. */
  readonly ca: CaState | undefined;
}

export interface ApplyDeps {
  readonly applier: ObjectApplier;
  readonly lookup: (object: ObjectRef) => Promise<KubeObject | undefined>;
  readonly concurrency?: number;
  /** Told of every write and why it was needed (absent, changed, drift). */
  readonly onWrite?: (object: KubeObject, why: string) => void;
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function applyPhases(input: ApplyInput, deps: ApplyDeps): Promise<Applied> {
  const live = new Map<string, KubeObject>();
  let writes = 0;
  const waiting = (phase: number, blocked: { reason: string; message: string }): Applied => ({
    result: { kind: "waiting", phase, ...blocked, writes },
    live,
  });
  for (let phase = input.from; phase < input.to; phase += 1) {
    const objects = input.phases[phase] ?? [];
    try {
      await inParallel(objects, deps.concurrency ?? 8, async ({ object }) => {
        const before = await deps.lookup(object);
        const outcome = await deps.applier.ensure(object, before);
        if (outcome.wrote) {
          writes += 1;
          deps.onWrite?.(object, outcome.why ?? "");
        }
        live.set(identity(object), outcome.live);
      });
    } catch (error) {
      // Istio's kinds are served a moment after their CRDs are Established.
      if (error instanceof NotServedError)
        return waiting(phase, { reason: GateReason.APINotServedYet, message: error.message });
      throw error;
    }
    const gate = PHASES[phase]?.gate;
    const blocked = gate && GATES[gate]({ objects, live, ca: input.ca });
    if (blocked) return waiting(phase, blocked);
  }
  return { result: { kind: "done", writes }, live };
}
