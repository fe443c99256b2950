/**
 * The operator's view of the cluster: one Reflector per watched kind, label-selected, and
 * lookups by object. A kind whose watch has not synced yet (an Istio CRD installed a moment
 * ago) is read straight from the API server instead, so a lookup is never answered from an
 * incomplete cache.
 */
import { NotServedError, type Discovery } from "./discovery.ts";
import { isNotFound } from "./errors.ts";
import type { ObjectReader } from "./interfaces.ts";
import type { KindRef, KubeObject, ObjectRef } from "./object.ts";
import { Reflector, type EventType } from "./reflector.ts";
import type { RestClient } from "./rest-client.ts";

export interface ObjectCacheOptions {
  readonly kinds: readonly KindRef[];
  readonly labelSelector?: string;
  readonly onEvent: (type: EventType, object: KubeObject) => void;
  readonly onRestart?: (kind: string, reason: string) => void;
  /** A kind listed again (410 Gone, a failed list retried): for the relists metric. */
  readonly onRelist?: (kind: string, reason: string) => void;
  readonly inactivityTimeoutMs?: number;
  /** What to keep of each cached object (memory: see keepWhatMatters in the manager). */
  readonly keep?: (object: KubeObject) => KubeObject;
  /**
   * Cap of the retry backoff after failures (default client-go's 30 s). A kind not served
   * yet (a new CRD) is looked for again within seconds regardless: see reflector.ts.
   */
  readonly maxBackoffMs?: number;
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

export class ObjectCache implements ObjectReader {
  private readonly reflectors = new Map<string, Reflector>();
  private readonly client: RestClient;
  private readonly discovery: Discovery;

  constructor(client: RestClient, discovery: Discovery, options: ObjectCacheOptions) {
    this.client = client;
    this.discovery = discovery;
    for (const { apiVersion, kind } of options.kinds) {
      const reflector = new Reflector(client, discovery, {
        apiVersion,
        kind,
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
        ...(options.inactivityTimeoutMs
          ? { inactivityTimeoutMs: options.inactivityTimeoutMs }
          : {}),
        // List items come without apiVersion and kind; every consumer needs them.
        onEvent: (type, object) => {
          options.onEvent(type, { ...object, apiVersion, kind });
        },
        onRestart: (reason) => options.onRestart?.(kind, reason),
        onRelist: (reason) => options.onRelist?.(kind, reason),
        ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
        ...(options.keep
          ? {
              keep: (object) => options.keep?.({ ...object, apiVersion, kind }) ?? object,
            }
          : {}),
      });
      this.reflectors.set(kindKey(apiVersion, kind), reflector);
    }
  }

  start(): void {
    for (const reflector of this.reflectors.values()) reflector.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.reflectors.values()].map((r) => r.stop()));
  }

  get synced(): boolean {
    return [...this.reflectors.values()].every((r) => r.hasSynced);
  }

  /** The live object, from the cache when its kind has synced, else from the API server. */
  async get<T = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const reflector = this.reflectors.get(kindKey(ref.apiVersion, ref.kind));
    if (reflector?.hasSynced) {
      const { namespace, name } = ref.metadata;
      const found = reflector.cache.get(namespace ? `${namespace}/${name}` : name);
      return found && ({ ...found, apiVersion: ref.apiVersion, kind: ref.kind } as T);
    }
    try {
      return await this.client.send<T>({ method: "GET", path: await this.discovery.pathOf(ref) });
    } catch (error) {
      // An unserved kind has no objects yet (its CRD is about to be installed).
      if (error instanceof NotServedError) return undefined;
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every cached object of the synced kinds, with apiVersion and kind filled in. */
  list(): KubeObject[] {
    return [...this.reflectors.entries()].flatMap(([key, reflector]) => {
      const slash = key.lastIndexOf("/");
      const apiVersion = key.slice(0, slash);
      const kind = key.slice(slash + 1);
      return [...reflector.cache.values()].map((object) => ({ ...object, apiVersion, kind }));
    });
  }

  /** Kinds whose watch has not listed yet: pruning must wait for them. */
  unsyncedKinds(): string[] {
    return [...this.reflectors.entries()].filter(([, r]) => !r.hasSynced).map(([key]) => key);
  }
}
