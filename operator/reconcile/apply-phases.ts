/**
 * apply: the phases in order (phases.ts), each phase's objects in parallel, each object
 * skipped when unchanged (applier.ts). After a phase its gate is checked; a closed gate
 * stops here and says what it waits for, and the watch on the awaited object (or the
 * requeue) brings the next attempt.
 */
import { NotServedError } from "../kube/discovery.ts";
import type { KubeObject } from "../kube/object.ts";
import type { RenderedObject } from "../render/render.ts";
import type { ObjectApplier } from "./applier.ts";
import { describe, identity } from "./identity.ts";
import { isAvailable } from "./observe.ts";
import { PHASE_NAMES } from "./phases.ts";

export type PhasesResult =
  | { readonly kind: "done"; readonly writes: number }
  | {
      readonly kind: "waiting";
      readonly phase: number;
      readonly reason: string;
      readonly message: string;
      readonly writes: number;
    };

export interface PhaseContext {
  readonly applier: ObjectApplier;
  readonly lookup: (object: RenderedObject["object"]) => Promise<KubeObject | undefined>;
  /** Filled with the live copy of every object looked at: observe reads it afterwards. */
  readonly live: Map<string, KubeObject>;
  readonly concurrency?: number;
  /** Runs before a phase's objects are applied; a reason stops the run there (Waiting). */
  readonly beforePhase?: (
    phase: number,
  ) => Promise<{ reason: string; message: string } | undefined>;
  /** Last touches to an object before it is applied (e.g. the CA hash on istiod). */
  readonly prepare?: (object: RenderedObject["object"]) => RenderedObject["object"];
  /** Told of every write and why it was needed (absent, changed, drift). */
  readonly onWrite?: (object: RenderedObject["object"], why: string) => void;
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

function established(live: KubeObject | undefined): boolean {
  const status = live?.status as { conditions?: { type: string; status: string }[] } | undefined;
  const conditions = status?.conditions;
  return conditions?.some((c) => c.type === "Established" && c.status === "True") === true;
}

/** Why the phase's gate is closed, or undefined when the next phase may go. */
function closedGate(
  phase: number,
  objects: readonly RenderedObject[],
  live: ReadonlyMap<string, KubeObject>,
): { reason: string; message: string } | undefined {
  if (phase === 0) {
    const pending = objects.filter(
      (r) =>
        r.object.kind === "CustomResourceDefinition" && !established(live.get(identity(r.object))),
    );
    if (pending.length)
      return {
        reason: "CRDsNotEstablished",
        // One stable message, so each CRD that becomes Established does not rewrite status.
        message: "waiting for Istio's CRDs to be Established",
      };
  }
  if (phase === 3) {
    const istiod = objects.find((r) => r.component === "istiod" && r.object.kind === "Deployment");
    if (istiod && !isAvailable(live.get(identity(istiod.object))))
      return {
        reason: "IstiodNotAvailable",
        message: `waiting for ${describe(istiod.object)} to become Available before installing webhooks and policies`,
      };
  }
  return undefined;
}

export async function applyPhases(
  phases: readonly (readonly RenderedObject[])[],
  context: PhaseContext,
): Promise<PhasesResult> {
  let writes = 0;
  for (const [phase, objects] of phases.entries()) {
    const blocked = await context.beforePhase?.(phase);
    if (blocked) return { kind: "waiting", phase, ...blocked, writes };
    try {
      await inParallel(objects, context.concurrency ?? 8, async (rendered) => {
        const object = context.prepare ? context.prepare(rendered.object) : rendered.object;
        const before = await context.lookup(object);
        const { wrote, live, why } = await context.applier.ensure(object, before);
        if (wrote) {
          writes += 1;
          context.onWrite?.(object, why ?? "");
        }
        context.live.set(identity(object), live as KubeObject);
      });
    } catch (error) {
      // Istio's kinds are served a moment after their CRDs are Established.
      if (error instanceof NotServedError)
        return {
          kind: "waiting",
          phase,
          reason: "APINotServedYet",
          message: error.message,
          writes,
        };
      throw error;
    }
    const gate = closedGate(phase, objects, context.live);
    if (gate) return { kind: "waiting", phase, ...gate, writes };
  }
  return { kind: "done", writes };
}

export function phaseName(phase: number): string {
  return PHASE_NAMES[phase] ?? `phase ${phase}`;
}
