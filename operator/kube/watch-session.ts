/**
 * One watch request, from a resourceVersion until the stream ends, and a verdict on how it
 * ended. The rules are client-go's reflector's:
 *   - each watch asks for bookmarks and for a server-side timeout drawn at random from
 *     [minTimeout, 2 × minTimeout] (5 to 10 minutes by default), so the server ends quiet
 *     watches itself and many clients' watches do not all end at once;
 *   - a stream that ends after a second or more, or after at least one event (bookmarks
 *     count), ended normally: watch again at once from the last version seen;
 *   - a stream that ends within a second with no event is a failure (a proxy or server
 *     that closes watches at once would otherwise be hit in a tight loop);
 *   - 410 Gone, as the request's status or as an ERROR event: the version is gone, only a
 *     list can continue.
 * A client-side guard aborts a stream that has carried nothing (no headers, no event, not
 * even the server's own end) for well past its server-side timeout: a half-open connection
 * would otherwise hold the watch dead forever. A healthy quiet watch never reaches it.
 */
import { isGone } from "./errors.ts";
import type { RestClient } from "./rest-client.ts";

/** One line of a watch stream, as the API server sends it. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  /** The object; for ERROR, a Status (code, message) without metadata. */
  object: {
    metadata?: { resourceVersion?: string; [field: string]: unknown };
    code?: number;
    message?: string;
    [field: string]: unknown;
  };
}

export interface WatchRequest {
  readonly path: string;
  readonly resourceVersion: string;
  readonly labelSelector?: string;
  /** Whole seconds; the server timeout is drawn from [min, 2 × min]. */
  readonly minTimeoutSeconds: number;
  /** Abort after this long without any event; undefined: the timeout drawn plus a minute. */
  readonly stallAfterMs?: number;
  readonly signal: AbortSignal;
  /** Every event but ERROR; returns nothing, throws to end the watch as failed. */
  readonly onEvent: (event: WatchEvent) => void;
  readonly random?: () => number;
}

/** How a watch that did not fail ended. */
export type WatchEnd = "ended" | "expired" | "stopped";

/** The stream ended in a way that must be retried with backoff. */
export class WatchFailure extends Error {
  override name = "WatchFailure";
}

/** A stream shorter than this with no event is a failure (client-go: 1 s). */
export const VERY_SHORT_WATCH_MS = 1_000;
/** client-go's minWatchTimeout: every watch asks the server to end it within 5 to 10 minutes. */
export const MIN_WATCH_TIMEOUT_SECONDS = 300;
/** How far past its server-side timeout a silent stream is given up as dead. */
export const STALL_MARGIN_MS = 60_000;

export function watchTimeoutSeconds(minSeconds: number, random: () => number): number {
  return Math.floor(minSeconds + random() * minSeconds);
}

/** A function, not the property: TypeScript would keep an earlier check's narrowing. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Runs one watch; resolves with how it ended, rejects (WatchFailure or ApiError) if it failed. */
export async function watchOnce(client: RestClient, request: WatchRequest): Promise<WatchEnd> {
  // Stopped already: an abort listener added now would never fire.
  if (isAborted(request.signal)) return "stopped";
  const timeoutSeconds = watchTimeoutSeconds(
    request.minTimeoutSeconds,
    request.random ?? Math.random,
  );
  const stallAfterMs = request.stallAfterMs ?? timeoutSeconds * 1000 + STALL_MARGIN_MS;
  const controller = new AbortController();
  const abort = () => {
    controller.abort();
  };
  request.signal.addEventListener("abort", abort, { once: true });
  // Set from callbacks: an object, so the checks after the await read the real values.
  const seen = { stalled: false, expired: false, events: 0 };
  const arm = () =>
    setTimeout(() => {
      seen.stalled = true;
      controller.abort();
    }, stallAfterMs);
  let guard = arm();
  const onLine = (line: string) => {
    clearTimeout(guard);
    guard = arm();
    const event = JSON.parse(line) as WatchEvent;
    seen.events += 1;
    if (event.type !== "ERROR") {
      request.onEvent(event);
      return;
    }
    if (event.object.code === 410) {
      seen.expired = true;
      controller.abort();
      return;
    }
    throw new WatchFailure(
      `watch error event ${event.object.code ?? ""}: ${event.object.message ?? ""}`,
    );
  };
  const query = {
    ...(request.labelSelector ? { labelSelector: request.labelSelector } : {}),
    watch: "1",
    resourceVersion: request.resourceVersion,
    allowWatchBookmarks: "true",
    timeoutSeconds: String(timeoutSeconds),
  };
  // The clock starts before the request: some proxies send no headers before the first event.
  const started = Date.now();
  try {
    await client.stream(request.path, query, onLine, controller.signal);
  } catch (error) {
    // Our own abort may surface as a stream error: the reason for it is what counts.
    if (!controller.signal.aborted) {
      if (isGone(error)) return "expired";
      throw error;
    }
  } finally {
    clearTimeout(guard);
    request.signal.removeEventListener("abort", abort);
  }
  return verdict(seen, {
    stopped: isAborted(request.signal),
    lastedMs: Date.now() - started,
    stallAfterMs,
    timeoutSeconds,
  });
}

/** How a stream that closed without an error ended, or the failure it was. */
function verdict(
  seen: { readonly stalled: boolean; readonly expired: boolean; readonly events: number },
  end: { stopped: boolean; lastedMs: number; stallAfterMs: number; timeoutSeconds: number },
): WatchEnd {
  if (seen.expired) return "expired";
  if (end.stopped) return "stopped";
  if (seen.stalled) {
    throw new WatchFailure(`no data for ${end.stallAfterMs} ms (timeout ${end.timeoutSeconds} s)`);
  }
  if (seen.events === 0 && end.lastedMs < VERY_SHORT_WATCH_MS) {
    throw new WatchFailure(`very short watch: ended after ${end.lastedMs} ms with no event`);
  }
  return "ended";
}
