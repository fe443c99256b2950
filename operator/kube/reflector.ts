/**
 * Keeps a local copy of one kind of object (label-selected) in step with the API server:
 * list, then watch from the list's resourceVersion, forever. It never dies silently:
 *   - the server ends watches (timeoutSeconds): watch again from the last version seen;
 *   - 410 Gone (the version was compacted away), as a watch event or as the watch
 *     request's own status: list again, and report what vanished meanwhile as deleted;
 *   - no byte for the inactivity timeout (a half-open connection): abort and watch again;
 *   - any other error (API server restart, network): back off with jitter and retry.
 * Every object change reaches onEvent; bookmarks only move the version forward.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Discovery } from "./discovery.ts";
import { ApiError, type RestClient } from "./rest-client.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ReflectorOptions {
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: string;
  readonly onEvent: (type: EventType, object: KubeObject) => void;
  /** Why the watch was restarted: for logs and the watch-restarts metric. */
  readonly onRestart?: (reason: string) => void;
  readonly inactivityTimeoutMs?: number;
  /** How long the server keeps one watch open before ending it. */
  readonly watchTimeoutSeconds?: number;
  readonly maxBackoffMs?: number;
  /** What to keep of each object (the cache holds the result, and onEvent receives it). */
  readonly keep?: (object: KubeObject) => KubeObject;
}

interface WatchEvent {
  type: EventType | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; message?: string };
}

export function objectKey(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}

export class Reflector {
  readonly cache = new Map<string, KubeObject>();
  private resourceVersion = "";
  private synced = false;
  private stopped = false;
  private current: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly client: RestClient;
  private readonly discovery: Discovery;
  private readonly options: ReflectorOptions;

  constructor(client: RestClient, discovery: Discovery, options: ReflectorOptions) {
    this.client = client;
    this.discovery = discovery;
    this.options = options;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** A method, not the field: stop() flips it while the loop awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    await this.loop;
  }

  private async path(): Promise<string> {
    // Every namespace: the operator owns objects in the control-plane and gateway namespaces.
    return this.discovery.collectionPath(this.options.apiVersion, this.options.kind);
  }

  private selector(): Record<string, string> {
    return this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {};
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchOnce();
        failures = 0;
      } catch (error) {
        if (this.isStopped()) return;
        if (error instanceof ApiError && error.status === 410) {
          // The server refused the watch itself: the version is gone, only a list helps.
          this.options.onRestart?.("resource version expired (410 Gone): relisting");
          this.resourceVersion = "";
          continue;
        }
        failures += 1;
        this.options.onRestart?.(`watch failed: ${(error as Error).message}`);
        const cap = this.options.maxBackoffMs ?? 30_000;
        const delay =
          Math.min(cap, 100 * 2 ** Math.min(failures, 10)) * (0.8 + 0.4 * Math.random());
        await sleep(delay);
      }
    }
  }

  /** Lists everything, replaces the cache, and reports the differences as events. */
  private async relist(): Promise<void> {
    const list = await this.client.send<{
      metadata: { resourceVersion: string };
      items: KubeObject[];
    }>({
      method: "GET",
      path: await this.path(),
      query: this.selector(),
    });
    const seen = new Set<string>();
    for (const listed of list.items) {
      const item = this.options.keep ? this.options.keep(listed) : listed;
      const key = objectKey(item);
      seen.add(key);
      const known = this.cache.get(key);
      if (known?.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.cache.set(key, item);
      this.options.onEvent(known ? "MODIFIED" : "ADDED", item);
    }
    for (const [key, gone] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.options.onEvent("DELETED", gone);
    }
    this.resourceVersion = list.metadata.resourceVersion;
    this.synced = true;
  }

  private async watchOnce(): Promise<void> {
    const controller = new AbortController();
    this.current = controller;
    const inactivity = this.options.inactivityTimeoutMs ?? 60_000;
    let timer = setTimeout(() => {
      this.options.onRestart?.(`no data for ${inactivity} ms`);
      controller.abort();
    }, inactivity);
    const onLine = (line: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.options.onRestart?.(`no data for ${inactivity} ms`);
        controller.abort();
      }, inactivity);
      this.handle(JSON.parse(line) as WatchEvent, controller);
    };
    const query = {
      ...this.selector(),
      watch: "1",
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.options.watchTimeoutSeconds ?? 300),
    };
    try {
      await this.client.stream(await this.path(), query, onLine, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private handle(event: WatchEvent, controller: AbortController): void {
    if (event.type === "ERROR") {
      // 410 Gone: our version is older than etcd keeps; only a fresh list can continue.
      if (event.object.code === 410) {
        this.options.onRestart?.("resource version expired (410 Gone): relisting");
        this.resourceVersion = "";
        controller.abort();
        return;
      }
      throw new Error(`watch error ${event.object.code ?? ""}: ${event.object.message ?? ""}`);
    }
    const version = event.object.metadata.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === "BOOKMARK") return;
    const object = this.options.keep ? this.options.keep(event.object) : event.object;
    const key = objectKey(object);
    if (event.type === "DELETED") this.cache.delete(key);
    else this.cache.set(key, object);
    this.options.onEvent(event.type, object);
  }
}
