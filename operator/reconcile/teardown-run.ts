/**
 * The delete path's I/O: carries out a teardown plan (teardown.ts decides it) and returns
 * what it wrote. Status, events and logs are the reconciler's: this file only deletes the
 * step's objects, the generated CA under deletionPolicy Delete, and releases the finalizer.
 */
import type { ObjectWriter } from "../kube/interfaces.ts";
import { meshConfigRef, type MeshConfigObject } from "./mesh-config-object.ts";
import type { ObjectApplier, WriteCounter } from "./applier.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { releasedParent } from "./parent.ts";
import type { TeardownPlan } from "./teardown.ts";

export interface TeardownDeps {
  readonly api: ObjectWriter;
  readonly applier: ObjectApplier;
  readonly ca: Pick<CertificateAuthority, "deleteGenerated">;
  readonly countWrite?: WriteCounter | undefined;
}

/** Deletes a waiting step's objects; returns the writes. */
export async function deleteStep(
  plan: Extract<TeardownPlan, { kind: "wait" }>,
  deps: TeardownDeps,
): Promise<number> {
  for (const object of plan.deletes) await deps.applier.delete(object);
  return plan.deletes.length;
}

/** The generated CA (when the plan says so), then the finalizer; returns the writes. */
export async function release(
  mc: MeshConfigObject,
  plan: Extract<TeardownPlan, { kind: "release" }>,
  deps: TeardownDeps,
): Promise<number> {
  const caWrites =
    plan.deleteCaIn === undefined ? 0 : await deps.ca.deleteGenerated(plan.deleteCaIn);
  await releaseFinalizer(mc, deps);
  return 1 + caWrites;
}

/**
 * Server-side apply to an object that is gone would try to create it (and fail on the
 * missing spec): a second teardown run on a stale cache must find it gone, not error.
 */
async function releaseFinalizer(mc: MeshConfigObject, deps: TeardownDeps): Promise<void> {
  try {
    await deps.api.apply(releasedParent(mc.metadata.name), { force: true });
    deps.countWrite?.("apply", "MeshConfig");
  } catch (error) {
    const live = await deps.api.get(meshConfigRef(mc.metadata.name));
    if (live && live.metadata.uid === mc.metadata.uid) throw error;
  }
}
