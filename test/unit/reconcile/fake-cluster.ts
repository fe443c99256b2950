/**
 * An in-memory API server and watch cache for the reconciler's table test: it implements
 * the two narrow interfaces the reconciler depends on (kube/interfaces.ts) with the
 * behaviour the reconciler relies on, and nothing more:
 *   - server-side apply by our field manager: our fields merged over everyone else's,
 *     fields we stop sending are removed, managedFields name the fields we own;
 *   - a hand edit (editByHand) moves the edited fields to another manager, as the real
 *     API server does, so the applier sees drift;
 *   - create refuses an existing name (409), replace a stale resourceVersion (409);
 *   - delete of an object with finalizers only marks it (deletionTimestamp), and it goes
 *     when its last finalizer does; generation moves when the spec changes;
 *   - the controllers the reconciler waits for, when asked: CRDs become Established and
 *     Deployments Available on write;
 *   - list() is the label-selected cache of the owned kinds, like the operator's watches.
 * Every write is recorded, so a case can say "zero writes"; failOn makes one fail.
 */
import { ApiError } from "../../../operator/kube/rest-client.ts";
import { FIELD_MANAGER } from "../../../operator/kube/server-side-apply.ts";
import type {
  ObjectReader,
  ObjectWriter,
  WriteOptions,
} from "../../../operator/kube/interfaces.ts";
import type { KubeObject, ObjectRef } from "../../../operator/kube/object.ts";
import { identity } from "../../../operator/reconcile/identity.ts";
import { OWNED_KINDS } from "../../../operator/reconcile/owned-kinds.ts";
import { MANAGED_BY, MESH_LABEL } from "../../../operator/render/render.ts";

type Json = Record<string, unknown>;
export type Verb = "apply" | "status" | "create" | "replace" | "patch" | "delete";

export interface Write {
  readonly verb: Verb;
  readonly kind: string;
  readonly name: string;
}

interface Stored {
  /** Fields others wrote (create, replace, the test's own setup). */
  others: Json;
  /** What our field manager last applied, metadata included. */
  ours: Json | undefined;
  /** Paths another manager took from us by a hand edit, with their values. */
  taken: Map<string, unknown>;
  status: unknown;
  uid: string;
  resourceVersion: number;
  generation: number;
  deletionTimestamp: string | undefined;
  /** The object as last materialized, frozen: valid while nothing changed. */
  view?: { readonly key: string; readonly object: KubeObject };
}

/** Frozen all the way down: the reconciler must never change what it reads. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface FakeClusterOptions {
  /** CRDs become Established and Deployments Available as soon as they are written. */
  readonly controllers?: boolean;
  readonly now?: () => Date;
}

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** a with b's fields over it, recursively for objects; finalizers are a set. */
function merge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const before = out[key];
    if (key === "finalizers" && Array.isArray(before) && Array.isArray(value))
      out[key] = [...new Set([...(before as unknown[]), ...(value as unknown[])])];
    else out[key] = isObject(before) && isObject(value) ? merge(before, value) : value;
  }
  return out;
}

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (!isObject(value) || Object.keys(value).length === 0) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

/** The fieldsV1 tree of the leaf paths (the real one is finer; the applier only compares). */
function fieldsV1(paths: readonly string[][]): Json {
  const root: Json = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) node = (node[`f:${key}`] ??= {}) as Json;
  }
  return root;
}

function setPath(object: Json, path: readonly string[], value: unknown): void {
  let node = object;
  for (const key of path.slice(0, -1)) node = node[key] = isObject(node[key]) ? node[key] : {};
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

function apiError(status: number, reason: string, message: string): ApiError {
  return new ApiError("FAKE", "/", status, JSON.stringify({ reason, message }));
}

export class FakeCluster implements ObjectReader, ObjectWriter {
  readonly writes: Write[] = [];
  /** Kinds the "watches" have not listed yet. */
  unsynced: string[] = [];
  private readonly store = new Map<string, Stored>();
  private readonly controllers: boolean;
  private readonly now: () => Date;
  private version = 0;
  private failure: ((verb: Verb, object: ObjectRef) => boolean) | undefined;

  constructor(options: FakeClusterOptions = {}) {
    this.controllers = options.controllers ?? true;
    this.now = options.now ?? (() => new Date());
  }

  /** Makes every write the predicate matches fail with a 500 until cleared. */
  failOn(predicate: ((verb: Verb, object: ObjectRef) => boolean) | undefined): void {
    this.failure = predicate;
  }

  // ObjectReader: the label-selected cache of the owned kinds.

  get<T = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const stored = this.store.get(identity(ref));
    return Promise.resolve(stored && (this.materialize(ref, stored) as T));
  }

  list(): KubeObject[] {
    const owned = new Set(OWNED_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));
    return this.all().filter((o) => {
      const labels = o.metadata.labels ?? {};
      return (
        owned.has(`${o.apiVersion}/${o.kind}`) &&
        Object.entries(MANAGED_BY).every(([k, v]) => labels[k] === v) &&
        MESH_LABEL in labels
      );
    });
  }

  unsyncedKinds(): string[] {
    return [...this.unsynced];
  }

  /** Every object, whatever its labels. */
  all(): KubeObject[] {
    return [...this.store.values()].map((s) => this.materialize(refOf(s), s));
  }

  // ObjectWriter: the API server.

  apply<T = KubeObject>(object: KubeObject, options: WriteOptions = {}): Promise<T> {
    const verb: Verb = options.subresource === "status" ? "status" : "apply";
    this.check(verb, object);
    const key = identity(object);
    const stored = this.store.get(key) ?? this.fresh(object);
    if (verb === "status") {
      if (!this.store.has(key)) throw apiError(404, "NotFound", `${key} not found`);
      stored.status = object.status;
    } else {
      const specBefore = JSON.stringify(this.spec(stored));
      stored.ours = { ...object };
      // Our forced apply takes every field it sends back from whoever took it.
      const sent = new Set(leafPaths(object).map((p) => p.join("/")));
      for (const path of stored.taken.keys()) if (sent.has(path)) stored.taken.delete(path);
      if (JSON.stringify(this.spec(stored)) !== specBefore) stored.generation += 1;
      this.store.set(key, stored);
      this.runControllers(object.kind, stored);
    }
    return this.written(verb, object, stored) as Promise<T>;
  }

  mergePatch<T = KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    this.check("patch", ref);
    const stored = this.existing(ref);
    stored.others = merge(stored.others, patch as Json);
    return this.written("patch", ref, stored) as Promise<T>;
  }

  create<T = KubeObject>(object: KubeObject): Promise<T> {
    this.check("create", object);
    if (this.store.has(identity(object)))
      throw apiError(409, "AlreadyExists", `${identity(object)} already exists`);
    return this.put(object, "create") as Promise<T>;
  }

  replace<T = KubeObject>(object: KubeObject): Promise<T> {
    this.check("replace", object);
    const stored = this.existing(object);
    if (object.metadata.resourceVersion !== String(stored.resourceVersion))
      throw apiError(409, "Conflict", "the object has been modified");
    stored.others = { ...object, metadata: { ...object.metadata, resourceVersion: undefined } };
    return this.written("replace", object, stored) as Promise<T>;
  }

  delete(ref: ObjectRef): Promise<boolean> {
    this.check("delete", ref);
    const stored = this.store.get(identity(ref));
    if (!stored) return Promise.resolve(false);
    this.writes.push({ verb: "delete", kind: ref.kind, name: ref.metadata.name });
    stored.deletionTimestamp ??= this.now()
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    this.collect(ref, stored);
    return Promise.resolve(true);
  }

  // The test's own hands: what users, other controllers and kubectl do.

  /** Creates (or overwrites) an object as another manager, without counting a write. */
  put(object: KubeObject, verb?: Verb): Promise<KubeObject> {
    const stored = this.store.get(identity(object)) ?? this.fresh(object);
    const specBefore = JSON.stringify(this.spec(stored));
    const { status, ...others } = object;
    stored.others = others;
    if (status !== undefined) stored.status = status;
    if (this.store.has(identity(object)) && JSON.stringify(this.spec(stored)) !== specBefore)
      stored.generation += 1;
    this.store.set(identity(object), stored);
    this.bump(stored);
    return verb
      ? this.written(verb, object, stored)
      : Promise.resolve(this.materialize(object, stored));
  }

  /** kubectl edit: sets a field and takes it from our field manager. */
  editByHand(ref: ObjectRef, path: readonly string[], value: unknown): void {
    const stored = this.existing(ref);
    stored.taken.set(path.join("/"), value);
    this.bump(stored);
  }

  /** Another controller writes status (a Deployment rolling out, a CRD not Established). */
  setStatus(ref: ObjectRef, status: unknown): void {
    const stored = this.existing(ref);
    stored.status = status;
    this.bump(stored);
  }

  /** Deletes as a user does (kubectl delete): finalizers hold the object. */
  async deleteByHand(ref: ObjectRef): Promise<void> {
    await this.delete(ref);
    this.writes.pop();
  }

  writesOf(verb?: Verb): Write[] {
    return this.writes.filter((w) => verb === undefined || w.verb === verb);
  }

  private bump(stored: Stored): void {
    this.version += 1;
    stored.resourceVersion = this.version;
  }

  private check(verb: Verb, object: ObjectRef): void {
    if (this.failure?.(verb, object))
      throw apiError(
        500,
        "InternalError",
        `etcdserver: request timed out (${verb} ${object.kind})`,
      );
  }

  private fresh(object: ObjectRef): Stored {
    this.version += 1;
    return {
      others: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: object.metadata.namespace
          ? { name: object.metadata.name, namespace: object.metadata.namespace }
          : { name: object.metadata.name },
      },
      ours: undefined,
      taken: new Map(),
      status: undefined,
      uid: `uid-${this.version}`,
      resourceVersion: this.version,
      generation: 1,
      deletionTimestamp: undefined,
    };
  }

  private existing(ref: ObjectRef): Stored {
    const stored = this.store.get(identity(ref));
    if (!stored) throw apiError(404, "NotFound", `${identity(ref)} not found`);
    return stored;
  }

  private spec(stored: Stored): unknown {
    const merged = merge(stored.others, stored.ours ?? {});
    return Object.entries(merged).filter(([field]) => field !== "metadata" && field !== "status");
  }

  private runControllers(kind: string, stored: Stored): void {
    if (!this.controllers) return;
    if (kind === "CustomResourceDefinition")
      stored.status = {
        conditions: [
          { type: "NamesAccepted", status: "True" },
          { type: "Established", status: "True" },
        ],
      };
    if (kind === "Deployment") {
      const replicas = (this.spec(stored) as { spec?: { replicas?: number } }).spec?.replicas ?? 1;
      stored.status = {
        observedGeneration: stored.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: "Available", status: "True" },
          { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
        ],
      };
    }
  }

  private written(verb: Verb, ref: ObjectRef, stored: Stored): Promise<KubeObject> {
    this.bump(stored);
    this.writes.push({ verb, kind: ref.kind, name: ref.metadata.name });
    this.collect(ref, stored);
    return Promise.resolve(this.materialize(ref, stored));
  }

  /** An object marked for deletion goes once no finalizer holds it. */
  private collect(ref: ObjectRef, stored: Stored): void {
    if (!stored.deletionTimestamp) return;
    const object = this.materialize(ref, stored);
    if ((object.metadata.finalizers ?? []).length === 0) this.store.delete(identity(ref));
  }

  /** The stored object as readers see it; frozen, so a reader that changes it throws. */
  private materialize(ref: ObjectRef, stored: Stored): KubeObject {
    const key = `${String(stored.resourceVersion)}/${stored.deletionTimestamp ?? ""}`;
    if (stored.view?.key !== key)
      stored.view = { key, object: deepFreeze(this.build(ref, stored)) };
    return stored.view.object;
  }

  private build(ref: ObjectRef, stored: Stored): KubeObject {
    const merged = structuredClone(merge(stored.others, stored.ours ?? {}));
    for (const [path, value] of stored.taken) setPath(merged, path.split("/"), value);
    const ourPaths = stored.ours
      ? leafPaths(stored.ours).filter((p) => !stored.taken.has(p.join("/")))
      : [];
    const metadata = merged.metadata as KubeObject["metadata"];
    return structuredClone({
      ...merged,
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: {
        ...metadata,
        uid: stored.uid,
        resourceVersion: String(stored.resourceVersion),
        generation: stored.generation,
        ...(stored.deletionTimestamp ? { deletionTimestamp: stored.deletionTimestamp } : {}),
        managedFields: [
          ...(stored.ours
            ? [{ manager: FIELD_MANAGER, operation: "Apply", fieldsV1: fieldsV1(ourPaths) }]
            : []),
          ...(stored.taken.size > 0
            ? [
                {
                  manager: "kubectl-edit",
                  operation: "Update",
                  fieldsV1: fieldsV1([...stored.taken.keys()].map((p) => p.split("/"))),
                },
              ]
            : []),
        ],
      },
      ...(stored.status === undefined ? {} : { status: stored.status }),
    });
  }
}

function refOf(stored: Stored): ObjectRef {
  const metadata = stored.others.metadata as { name: string; namespace?: string };
  return {
    apiVersion: stored.others.apiVersion as string,
    kind: stored.others.kind as string,
    metadata: metadata.namespace
      ? { name: metadata.name, namespace: metadata.namespace }
      : { name: metadata.name },
  };
}
