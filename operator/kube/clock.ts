/**
 * The one clock: everything that reads the time takes a Clock, so tests move time instead
 * of waiting for it; and the two ways Kubernetes writes a time.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that reads what `now` returns: for callers that keep a plain function. */
export function clockOf(now: () => Date): Clock {
  return { now };
}

/** metav1.Time: RFC 3339 in whole seconds, e.g. 2026-01-01T00:00:00Z. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, e.g. 2026-01-01T00:00:00.000000Z. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, "000Z");
}
