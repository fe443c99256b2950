/**
 * One reconcile of a MeshConfig being deleted (I/O): delete the next teardown step's
 * objects (teardown.ts decides which) and say in status what it waits for, or release
 * the finalizer once nothing is left or the deadline has passed. The generated CA goes
 * only after a complete teardown under deletionPolicy Delete.
 */
import type { Logger } from "pino";
import type { ObjectCache } from "../kube/object-cache.ts";
import type { ServerSideApply } from "../kube/server-side-apply.ts";
import type { RenderedObject } from "../render/render.ts";
import type { ObjectApplier, WriteCounter } from "./applier.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { meshConfigRef, type MeshConfigObject } from "./mesh-config-object.ts";
import { releasedParent, FINALIZER } from "./parent.ts";
import type { ReconcileOutcome } from "./reconciler.ts";
import type { Outcome } from "./summary.ts";
import { nextTeardownStep, type TeardownStep } from "./teardown.ts";

const DEFAULT_TEARDOWN_TIMEOUT_MS = 120_000;

export interface TeardownRun {
  readonly cache: ObjectCache;
  readonly applier: ObjectApplier;
  readonly ssa: ServerSideApply;
  readonly ca: CertificateAuthority;
  readonly countWrite?: WriteCounter | undefined;
  readonly teardownTimeoutMs?: number | undefined;
  readonly now: Date;
  readonly log: Logger;
  /** Writes the status for this outcome if it changed; returns the writes. */
  readonly report: (outcome: Outcome) => Promise<number>;
  readonly warn: (reason: string, note: string) => void;
  /** The control-plane namespace whose generated CA goes with the mesh, if the spec says so. */
  readonly caToDelete: () => string | undefined;
}

export async function tearDown(mc: MeshConfigObject, run: TeardownRun): Promise<ReconcileOutcome> {
  if (!mc.metadata.finalizers?.includes(FINALIZER)) return { result: "success", writes: 0 };
  const step = nextTeardownStep(run.cache.list(), mc.metadata);
  const started = Date.parse(mc.metadata.deletionTimestamp ?? "");
  const timeout = run.teardownTimeoutMs ?? DEFAULT_TEARDOWN_TIMEOUT_MS;
  const overdue = run.now.getTime() - started > timeout;
  const unsynced = run.cache.unsyncedKinds();
  if ((step.kind === "done" && unsynced.length === 0) || overdue) return release(mc, step, run);
  let writes = 0;
  if (step.kind === "delete") {
    for (const object of step.objects) {
      await run.applier.delete(object as RenderedObject["object"]);
      writes += 1;
    }
  }
  const blockedOn =
    step.kind === "delete" ? step.blockedOn : `waiting for the watches of ${unsynced.join(", ")}`;
  writes += await run.report({
    kind: "Waiting",
    reason: "Deleting",
    message: `tearing the mesh down: ${blockedOn}`,
  });
  return { result: "requeue", requeueAfterMs: 1_000, writes };
}

async function release(
  mc: MeshConfigObject,
  step: TeardownStep,
  run: TeardownRun,
): Promise<ReconcileOutcome> {
  if (step.kind !== "done")
    run.warn(
      "TeardownTimedOut",
      `released the finalizer while still ${step.blockedOn}; the garbage collector takes the rest`,
    );
  const caNamespace = step.kind === "done" ? run.caToDelete() : undefined;
  const caWrites = caNamespace === undefined ? 0 : await run.ca.deleteGenerated(caNamespace);
  await releaseFinalizer(mc, run);
  run.log.info(
    { complete: step.kind === "done", deleteCa: caNamespace !== undefined },
    "teardown finished: finalizer released",
  );
  return { result: "success", writes: 1 + caWrites };
}

/**
 * Server-side apply to an object that is gone would try to create it (and fail on the
 * missing spec): a second teardown run on a stale cache must find it gone, not error.
 */
async function releaseFinalizer(mc: MeshConfigObject, run: TeardownRun): Promise<void> {
  try {
    await run.ssa.apply(releasedParent(mc.metadata.name), { force: true });
    run.countWrite?.("apply", "MeshConfig");
  } catch (error) {
    const live = await run.ssa.get(meshConfigRef(mc.metadata.name));
    if (live && (live.metadata as { uid?: string }).uid === mc.metadata.uid) throw error;
  }
}
