/**
 * RFC 6902 JSON Patch, the form istiod's /inject answers in: add, remove, replace, move,
 * copy and test over RFC 6901 pointers. Applied to a copy; a patch that does not fit the
 * document throws naming the operation, so a broken patch never passes as "equal".
 */

export interface PatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new Error(`JSON pointer ${JSON.stringify(pointer)} must start with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: unknown, pointer: string): { parent: Container; key: string } {
  const path = tokens(pointer);
  const key = path.pop();
  if (key === undefined) throw new Error("the document root cannot be patched in place");
  let node: unknown = doc;
  for (const t of path) {
    if (node === null || typeof node !== "object")
      throw new Error(`${pointer}: ${t} is not inside an object`);
    node = Array.isArray(node) ? node[Number(t)] : (node as Record<string, unknown>)[t];
  }
  if (node === null || typeof node !== "object")
    throw new Error(`${pointer}: parent does not exist`);
  return { parent: node as Container, key };
}

function get(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const t of tokens(pointer)) {
    if (node === null || typeof node !== "object") throw new Error(`${pointer} does not exist`);
    node = Array.isArray(node) ? node[Number(t)] : (node as Record<string, unknown>)[t];
  }
  if (node === undefined) throw new Error(`${pointer} does not exist`);
  return node;
}

function index(array: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === "-") return array.length;
  const i = Number(key);
  const limit = forAdd ? array.length : array.length - 1;
  if (!/^(0|[1-9][0-9]*)$/.test(key) || i > limit)
    throw new Error(`array index ${key} out of range`);
  return i;
}

function add(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true), 0, value);
  else parent[key] = value;
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(index(parent, key, false), 1)[0];
  if (!(key in parent)) throw new Error(`${pointer} does not exist`);
  const old = parent[key];
  Reflect.deleteProperty(parent, key);
  return old;
}

export function applyJsonPatch<T>(document: T, patch: PatchOperation[]): T {
  const doc = structuredClone(document);
  for (const [i, op] of patch.entries()) {
    try {
      switch (op.op) {
        case "add":
          add(doc, op.path, structuredClone(op.value));
          break;
        case "remove":
          remove(doc, op.path);
          break;
        case "replace":
          remove(doc, op.path);
          add(doc, op.path, structuredClone(op.value));
          break;
        case "move":
          add(doc, op.path, remove(doc, op.from ?? ""));
          break;
        case "copy":
          add(doc, op.path, structuredClone(get(doc, op.from ?? "")));
          break;
        case "test":
          if (JSON.stringify(get(doc, op.path)) !== JSON.stringify(op.value)) {
            throw new Error("test failed");
          }
          break;
      }
    } catch (error) {
      throw new Error(`patch operation ${i} (${op.op} ${op.path}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return doc;
}
