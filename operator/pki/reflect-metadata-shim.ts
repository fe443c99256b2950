/**
 * The smallest Reflect metadata API that @peculiar/x509 needs, installed only if absent.
 *
 * Why: @peculiar/x509 registers its algorithm providers through tsyringe, and tsyringe
 * refuses to load unless `Reflect.getMetadata` exists (it expects the reflect-metadata
 * polyfill). tsyringe only reads constructor parameter types (none here: the library's
 * classes take no injected arguments) and stores injection tokens, so a WeakMap-backed
 * store is enough, and it saves a second dependency. If a real polyfill is loaded first,
 * this file does nothing.
 */

type MetadataKey = string | symbol;

const store = new WeakMap<object, Map<MetadataKey, unknown>>();

function own(target: object): Map<MetadataKey, unknown> | undefined {
  return store.get(target);
}

function getOwnMetadata(key: MetadataKey, target: object): unknown {
  return own(target)?.get(key);
}

function getMetadata(key: MetadataKey, target: object): unknown {
  // Walk the prototype chain, as reflect-metadata does for inherited metadata.
  for (
    let current: object | null = target;
    current;
    current = Object.getPrototypeOf(current) as object | null
  ) {
    const map = own(current);
    if (map?.has(key)) return map.get(key);
  }
  return undefined;
}

function defineMetadata(key: MetadataKey, value: unknown, target: object): void {
  let map = own(target);
  if (!map) {
    map = new Map();
    store.set(target, map);
  }
  map.set(key, value);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") {
  Object.assign(reflect, { getMetadata, getOwnMetadata, defineMetadata });
}
