/**
 * Applies one desired object, or skips it when nothing changed, so a no-op reconcile sends
 * zero writes. An object is unchanged when (a) the content we would send equals what we
 * last applied and (b) the fields the API server says we own are exactly those our last
 * apply left: an edit by hand to one of our fields moves its ownership to the editor, and a
 * deletion removes the object, so both show up as drift and are applied again. Edits to
 * fields others own (caBundle, HPA replicas) leave our set alone and cost nothing.
 *
 * The record is kept in memory: after a restart every object is applied once (a no-op for
 * the API server, which then confirms the field set), because fields cannot be trusted that
 * this process did not see applied.
 *
 * We apply with force: we only ever send fields that are ours (field-ownership.ts), so
 * taking them back from a hand edit is the point; without force that edit would be a
 * conflict on every reconcile.
 */
import { createHash } from "node:crypto";
import type { ObjectWriter } from "../kube/interfaces.ts";
import type { KubeObject, ManagedFieldsEntry } from "../kube/object.ts";
import { handedOverIn, ourFieldsIn } from "./field-ownership.ts";
import { identity } from "./identity.ts";
import { remembered, rememberedBy } from "./remember.ts";

interface AppliedRecord {
  readonly content: string;
  readonly fields: string;
}

// Remembered per object: a no-op reconcile hands over the same desired and live objects,
// whose serialisation and hashing were most of its CPU time (bench:operator, no-op rows).
const contentHash = remembered((object: KubeObject): string =>
  createHash("sha256").update(JSON.stringify(object)).digest("hex"),
);
// Field sets are remembered per managedFields list: the cache hands out shallow copies of
// its entries (object-cache.ts), which share it, and a new list means a new object version.
const NO_ENTRIES: readonly ManagedFieldsEntry[] = [];
const entriesOf = (live: KubeObject) => live.metadata.managedFields ?? NO_ENTRIES;
const fieldsIn = remembered(ourFieldsIn);
const ourFieldsOf = (live: KubeObject) => fieldsIn(entriesOf(live));
const handedOver = rememberedBy(handedOverIn);
/** The desired object minus the fields another manager took (field-ownership.ts). */
const toSend = (desired: KubeObject, live: KubeObject | undefined) =>
  live ? handedOver(desired, entriesOf(live)) : desired;

export type WriteCounter = (verb: "apply" | "delete" | "create" | "update", kind: string) => void;

export class ObjectApplier {
  private readonly records = new Map<string, AppliedRecord>();
  private readonly ssa: ObjectWriter;
  private readonly countWrite: WriteCounter;

  constructor(ssa: ObjectWriter, countWrite: WriteCounter = () => undefined) {
    this.ssa = ssa;
    this.countWrite = countWrite;
  }

  /** Applies the object unless it is unchanged; returns the live object and whether it wrote. */
  async ensure(
    desired: KubeObject,
    live: KubeObject | undefined,
  ): Promise<{ wrote: boolean; live: KubeObject; why?: string }> {
    const key = identity(desired);
    const record = this.records.get(key);
    let toApply = toSend(desired, live);
    let content = contentHash(toApply);
    if (record?.content === content && (!live || record.fields !== ourFieldsOf(live))) {
      // The cache disagrees with our last apply: it may simply lag behind our own write
      // (the watch event is on its way), so ask the API server before writing again.
      live = await this.ssa.get(desired);
      toApply = toSend(desired, live);
      content = contentHash(toApply);
    }
    if (live && record?.content === content && record.fields === ourFieldsOf(live)) {
      return { wrote: false, live };
    }
    const why = !live
      ? "absent"
      : !record
        ? "not applied by this process yet"
        : record.content !== content
          ? "desired content changed"
          : "fields we own were changed by another manager";
    const applied = await this.ssa.apply(toApply, { force: true });
    this.countWrite("apply", desired.kind);
    this.records.set(key, { content, fields: ourFieldsOf(applied) });
    return { wrote: true, live: applied, why };
  }

  async delete(object: KubeObject): Promise<void> {
    this.records.delete(identity(object));
    this.countWrite("delete", object.kind);
    await this.ssa.delete(object);
  }
}
