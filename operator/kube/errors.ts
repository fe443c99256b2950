/**
 * The API server's answers that callers act on, by HTTP status as apimachinery's
 * errors.IsNotFound, IsConflict and IsGone read them. Anything with a numeric `status`
 * counts (ApiError from rest-client.ts, or a test's fake of it), so no caller writes the
 * numbers by hand.
 */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/** 404: the object (or the kind's group/version) does not exist. */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** 409: AlreadyExists on create, or a stale resourceVersion on update. */
export function isConflict(error: unknown): boolean {
  return statusOf(error) === 409;
}

/** 410: the resourceVersion asked for was compacted away; list again. */
export function isGone(error: unknown): boolean {
  return statusOf(error) === 410;
}

/** The value of `read`, or undefined when the API server says the object does not exist. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
