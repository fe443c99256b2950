/**
 * Remembering pure functions of immutable objects by the object's identity (weakly: a
 * result lives as long as its input). The reconciler's inputs are never changed in place
 * (the render is remembered per generation, cache entries are replaced, not edited), so
 * on a no-op reconcile the same objects come back and their post-render copies, CA-hashed
 * Deployments, content hashes and field sets need not be computed again.
 */

/** `f(key, arg)` remembered per `key` for the last `arg` it was called with (by ===). */
export function rememberedBy<K extends object, A, R>(f: (key: K, arg: A) => R) {
  const memo = new WeakMap<K, { readonly arg: A; readonly result: R }>();
  return (key: K, arg: A): R => {
    const hit = memo.get(key);
    if (hit && hit.arg === arg) return hit.result;
    const result = f(key, arg);
    memo.set(key, { arg, result });
    return result;
  };
}

/** `f(key)` remembered per `key`. */
export function remembered<K extends object, R>(f: (key: K) => R): (key: K) => R {
  const memo = new WeakMap<K, R>();
  return (key) => {
    if (memo.has(key)) return memo.get(key) as R;
    const result = f(key);
    memo.set(key, result);
    return result;
  };
}
