/**
 * Keeps a local copy of one kind of object (label-selected) in step with the API server:
 * list, then watch from the list's resourceVersion, forever, with client-go's reflector's
 * discipline (watch-session.ts has the rules for one watch, backoff.ts the delays):
 *   - a watch the server ends normally (its timeoutSeconds, 5 to 10 minutes) is watched
 *     again at once from the last version seen; bookmarks keep that version current, so
 *     an idle cluster costs one watch request per kind every few minutes and no list;
 *   - 410 Gone (the version was compacted away): list again, and report what vanished
 *     meanwhile as deleted;
 *   - any failure (an error status, a refused connection, a watch that ends within a
 *     second with no event, a stream silent well past its timeout, a failed list): wait
 *     with exponential backoff and jitter, then watch again from the last version (or
 *     list, if there is none);
 *   - a kind not served yet (its CRD on its way): discovery is asked again every few
 *     seconds, apart from the failure backoff.
 * A relist after 410 waits for the same backoff, so a server that refuses every watch
 * costs a list and a watch per backoff step, not a tight loop. onRestart hears of every
 * failure and expiry (never of a normal end), onRelist of every list after the first.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff, type BackoffPolicy } from "./backoff.ts";
import { NotServedError, type Discovery } from "./discovery.ts";
import type { ListedObject as KubeObject } from "./object.ts";
import { isGone } from "./errors.ts";
import type { RestClient } from "./rest-client.ts";
import {
  MIN_WATCH_TIMEOUT_SECONDS,
  watchOnce,
  WatchFailure,
  type WatchEvent,
} from "./watch-session.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ReflectorOptions {
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: string;
  readonly onEvent: (type: EventType, object: KubeObject) => void;
  /** A failed or expired watch, with the reason and the wait: for logs and a metric. */
  readonly onRestart?: (reason: string) => void;
  /** A list after the first one (410 Gone, or a failed list retried): for a metric. */
  readonly onRelist?: (reason: string) => void;
  /**
   * Give a watch up as dead after this long without an event. Default: its server-side
   * timeout plus a minute, which a healthy watch never reaches (the server ends it first,
   * and sends bookmarks about every minute meanwhile).
   */
  readonly inactivityTimeoutMs?: number;
  /** Each watch asks the server to end it after [min, 2 × min] seconds; default 300. */
  readonly minWatchTimeoutSeconds?: number;
  /** Cap of the retry backoff (default 30 s, client-go's). */
  readonly maxBackoffMs?: number;
  /** The rest of the backoff policy; client-go's by default. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Timeout of each list request; the REST client's default if unset. */
  readonly listTimeoutMs?: number;
  /** What to keep of each object (the cache holds the result, and onEvent receives it). */
  readonly keep?: (object: KubeObject) => KubeObject;
}

/**
 * A kind the API server does not serve yet is not a server failure: its CRD is usually
 * being installed by the operator itself. Discovery is asked again within seconds (one GET
 * of the group/version each time), so the watch starts soon after the CRD does.
 */
const NOT_SERVED_RECHECK: Partial<BackoffPolicy> = { initialMs: 500, capMs: 2_500 };

export function objectKey(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Reflector {
  readonly cache = new Map<string, KubeObject>();
  private resourceVersion = "";
  private synced = false;
  private listed = false;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly notServed = new Backoff(NOT_SERVED_RECHECK);
  private readonly client: RestClient;
  private readonly discovery: Discovery;
  private readonly options: ReflectorOptions;

  constructor(client: RestClient, discovery: Discovery, options: ReflectorOptions) {
    this.client = client;
    this.discovery = discovery;
    this.options = options;
    this.backoff = new Backoff({
      ...options.backoff,
      ...(options.maxBackoffMs === undefined ? {} : { capMs: options.maxBackoffMs }),
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** The version the next watch starts from ("" when the next step is a list). */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** A method, not a getter: stop() flips it while the loop awaits. */
  private stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async path(): Promise<string> {
    // Every namespace: the operator owns objects in the control-plane and gateway namespaces.
    return this.discovery.collectionPath(this.options.apiVersion, this.options.kind);
  }

  private async run(): Promise<void> {
    while (!this.stopped()) {
      try {
        if (!this.resourceVersion) await this.relist();
        const end = await this.watch();
        if (end === "expired") await this.expire();
        // "ended": the server's timeout, a healthy watch; watch again at once.
      } catch (error) {
        if (this.stopped()) return;
        if (isGone(error)) await this.expire();
        else if (error instanceof NotServedError) await this.pause(this.notServed, error.message);
        else await this.retryLater(`watch failed: ${describe(error)}`);
      }
    }
  }

  /** The version is gone: the next step is a list, after the backoff like any retry. */
  private async expire(): Promise<void> {
    this.resourceVersion = "";
    await this.retryLater("resource version expired (410 Gone): relisting");
  }

  private async retryLater(reason: string): Promise<void> {
    await this.pause(this.backoff, reason);
  }

  private async pause(backoff: Backoff, reason: string): Promise<void> {
    const delayMs = Math.round(backoff.failed());
    this.options.onRestart?.(`${reason}; retrying in ${delayMs} ms`);
    await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /** Lists everything, replaces the cache, and reports the differences as events. */
  private async relist(): Promise<void> {
    const path = await this.path();
    if (this.listed) this.options.onRelist?.(this.synced ? "relist" : "retrying the first list");
    this.listed = true;
    const list = await this.client.send<{
      metadata: { resourceVersion: string };
      items: KubeObject[];
    }>({
      method: "GET",
      path,
      ...(this.options.labelSelector
        ? { query: { labelSelector: this.options.labelSelector } }
        : {}),
      ...(this.options.listTimeoutMs ? { timeoutMs: this.options.listTimeoutMs } : {}),
    });
    if (this.stopped()) return;
    this.replaceCache(list.items);
    this.resourceVersion = list.metadata.resourceVersion;
    this.synced = true;
  }

  /** The listed items become the cache; the differences are reported as events. */
  private replaceCache(items: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const listed of items) {
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
  }

  private async watch() {
    return watchOnce(this.client, {
      path: await this.path(),
      resourceVersion: this.resourceVersion,
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
      minTimeoutSeconds: this.options.minWatchTimeoutSeconds ?? MIN_WATCH_TIMEOUT_SECONDS,
      ...(this.options.inactivityTimeoutMs
        ? { stallAfterMs: this.options.inactivityTimeoutMs }
        : {}),
      signal: this.stopping.signal,
      onEvent: (event) => {
        this.handle(event);
      },
    });
  }

  private handle(event: WatchEvent): void {
    const version = event.object.metadata?.resourceVersion;
    if (!version) throw new WatchFailure(`a ${event.type} event without a resourceVersion`);
    // A bookmark carries only a version: the watch has seen everything up to it.
    if (event.type === "BOOKMARK") {
      this.resourceVersion = version;
      return;
    }
    if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") return;
    const received = event.object as KubeObject;
    const object = this.options.keep ? this.options.keep(received) : received;
    const key = objectKey(object);
    if (event.type === "DELETED") this.cache.delete(key);
    else this.cache.set(key, object);
    this.resourceVersion = version;
    this.options.onEvent(event.type, object);
  }
}
