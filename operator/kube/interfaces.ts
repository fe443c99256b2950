/**
 * The narrow views of the cluster the reconciler depends on, so it can run against an
 * in-memory fake (test/unit/reconcile/fake-cluster.ts) as well as the real API server:
 *   ObjectReader  what the watches see (ObjectCache): cheap, possibly a moment behind;
 *   ObjectWriter  the API server itself (ServerSideApply): every write, and the rare
 *                 read that must not come from the cache.
 */
import type { KubeObject, ObjectRef } from "./object.ts";

export interface ObjectReader {
  /** The object, or undefined when it does not exist (or its kind is not served yet). */
  get<T = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Every object of the synced kinds. */
  list(): KubeObject[];
  /** Kinds not listed yet: what is absent from list() may still exist. */
  unsyncedKinds(): string[];
}

export interface WriteOptions {
  /** Take fields other managers own (only for fields we must own, e.g. our own status). */
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly subresource?: "status";
}

export interface ObjectWriter {
  /** Server-side apply with our field manager. */
  apply<T = KubeObject>(object: KubeObject, options?: WriteOptions): Promise<T>;
  /** A merge patch as an Update (tracked apart from our Apply entry). */
  mergePatch<T = KubeObject>(ref: ObjectRef, patch: unknown): Promise<T>;
  /** Create-if-absent: rejects with a conflict (errors.ts isConflict) when it exists. */
  create<T = KubeObject>(object: KubeObject): Promise<T>;
  /** Update at the object's resourceVersion: a conflict when someone changed it meanwhile. */
  replace<T = KubeObject>(object: KubeObject): Promise<T>;
  /** Straight from the API server; undefined when absent. */
  get<T = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  /** False when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
}
