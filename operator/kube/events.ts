/**
 * Kubernetes Events (events.k8s.io/v1) about our objects: what `kubectl describe` and
 * `kubectl get events` show a person. The core/v1 events API serves the same objects, so
 * both views see them.
 *
 * Events are best effort: a failure to record one is reported through `onError` and never
 * reaches the reconcile that recorded it.
 *
 * Repeats: the same (type, reason, note) about the same object within 10 minutes of its
 * last observation does not create another Event; the existing one's `series`
 * {count, lastObservedTime} is patched instead, as client-go's event recorder does. So a
 * reconcile that fails the same way every backoff shows one Event with a count, not a
 * screenful. The memory of recent events is a small map, pruned as it goes.
 */
import { randomBytes } from "node:crypto";
import { microTime, systemClock, type Clock } from "./clock.ts";
import { isNotFound } from "./errors.ts";
import type { RestClient } from "./rest-client.ts";

export type EventType = "Normal" | "Warning";

/** The object an Event is about (an ObjectReference). */
export interface EventRegarding {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Absent for cluster-scoped objects, whose events go into "default". */
  readonly namespace?: string | undefined;
  readonly uid: string;
}

export interface EventRecorderOptions {
  /** Told about every Event that could not be written. */
  readonly onError?: (error: unknown) => void;
  /** The clock; tests move it to cross the repeat window. */
  readonly clock?: Clock;
}

const REPORTING_CONTROLLER = "meshkeeper.dev/operator";
export const REPEAT_WINDOW_MS = 10 * 60_000;
/** Bounds memory when many objects have events; the oldest entries go first. */
const MAX_REMEMBERED = 512;
/** The API server rejects longer notes (and reasons, instances) rather than cutting them. */
const NOTE_LIMIT = 1024;
const SHORT_LIMIT = 128;

interface Recent {
  readonly namespace: string;
  readonly name: string;
  readonly count: number;
  readonly lastObserved: number;
}

/**
 * The Event's name must be a DNS subdomain of at most 253 characters; some kinds allow
 * names that are not (a ClusterRole "system:node"), and the random suffix needs room.
 */
function namePrefix(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .slice(0, 200)
    .replace(/^[-.]+|[-.]+$/g, "");
  return cleaned || "object";
}

export class EventRecorder {
  private readonly client: Pick<RestClient, "send">;
  private readonly identity: string;
  private readonly onError: (error: unknown) => void;
  private readonly clock: Clock;
  private readonly recent = new Map<string, Recent>();
  /** Writes run one at a time, so a repeat always finds the Event its first made. */
  private tail: Promise<void> = Promise.resolve();

  /** identity: this operator instance (e.g. the pod name), the Event's reportingInstance. */
  constructor(
    client: Pick<RestClient, "send">,
    identity: string,
    options: EventRecorderOptions = {},
  ) {
    this.client = client;
    this.identity = identity.slice(0, SHORT_LIMIT);
    this.onError = options.onError ?? (() => undefined);
    this.clock = options.clock ?? systemClock;
  }

  /** Never rejects; await it to know the Event is written, or leave it with `void`. */
  record(regarding: EventRegarding, type: EventType, reason: string, note: string): Promise<void> {
    const run = () => this.write(regarding, type, reason, note).catch(this.report);
    this.tail = this.tail.then(run);
    return this.tail;
  }

  private readonly report = (error: unknown): void => {
    try {
      this.onError(error);
    } catch {
      // A throwing callback must not break the promise of never rejecting.
    }
  };

  private async write(
    regarding: EventRegarding,
    type: EventType,
    reason: string,
    note: string,
  ): Promise<void> {
    const now = this.clock.now();
    this.forgetOlderThan(now.getTime() - REPEAT_WINDOW_MS);
    const key = JSON.stringify([regarding.uid, type, reason, note]);
    const seen = this.recent.get(key);
    if (seen && (await this.patchSeries(seen, now))) {
      this.remember(key, { ...seen, count: seen.count + 1, lastObserved: now.getTime() });
      return;
    }
    const namespace = regarding.namespace ?? "default";
    const name = `${namePrefix(regarding.name)}.${randomBytes(8).toString("hex")}`;
    await this.client.send({
      method: "POST",
      path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      body: {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: this.identity,
        action: reason.slice(0, SHORT_LIMIT),
        reason: reason.slice(0, SHORT_LIMIT),
        note: note.slice(0, NOTE_LIMIT),
        type,
        // Only the reference fields, whatever else the caller's object carries.
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.name,
          namespace: regarding.namespace,
          uid: regarding.uid,
        },
      },
    });
    this.remember(key, { namespace, name, count: 1, lastObserved: now.getTime() });
  }

  /** False when the Event is gone (expired after the API server's event TTL, or deleted). */
  private async patchSeries(seen: Recent, now: Date): Promise<boolean> {
    try {
      await this.client.send({
        method: "PATCH",
        path: `/apis/events.k8s.io/v1/namespaces/${seen.namespace}/events/${seen.name}`,
        contentType: "application/merge-patch+json",
        body: { series: { count: seen.count + 1, lastObservedTime: microTime(now) } },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private remember(key: string, entry: Recent): void {
    // Delete first so the Map's insertion order stays oldest-observed first.
    this.recent.delete(key);
    this.recent.set(key, entry);
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= MAX_REMEMBERED) break;
      this.recent.delete(oldest);
    }
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [key, entry] of this.recent) {
      if (entry.lastObserved >= cutoff) break;
      this.recent.delete(key);
    }
  }
}
