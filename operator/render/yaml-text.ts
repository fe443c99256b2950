/**
 * YAML text of a JSON-like value, as the `yaml` package prints it with `lineWidth: 0`,
 * remembered for the few values printed last. The injector's config (40 KB of injection
 * templates) and the mesh config are printed on every render, and printing the config
 * took about a millisecond of the production render's ten with the operator's node flags
 * (docs/footprint.md); a spec change that leaves them alone (a gateway, a replica count)
 * renders them again from the same inputs.
 *
 * The key is the value's JSON text, which determines the YAML text only for plain data:
 * finite numbers other than -0, strings, booleans, null, arrays and plain objects with
 * no undefined members. Anything else is printed every time and never remembered.
 */
import { stringify } from "yaml";

export interface YamlTextOptions {
  /** The `yaml` package's indentSeq (default true: sequences indented under their key). */
  readonly indentSeq?: boolean;
}

/** How many texts are kept: a render prints two, and every revision of a mesh its own. */
const KEPT = 8;
const remembered = new Map<string, string>();

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/** The JSON text of plain data (see above), or undefined for anything else. */
function plainKey(value: unknown, options: YamlTextOptions): string | undefined {
  const seen = { plain: true };
  const json = JSON.stringify(value, function check(this: unknown, key: string, item: unknown) {
    const original = (this as Record<string, unknown>)[key];
    const kind = typeof original;
    if (kind === "number") seen.plain &&= Number.isFinite(original) && !Object.is(original, -0);
    else if (kind === "object")
      seen.plain &&= original === null || isPlainObject(original as object);
    else seen.plain &&= kind === "string" || kind === "boolean";
    return item;
  });
  return seen.plain ? `${options.indentSeq === false ? "0" : "1"}${json}` : undefined;
}

/** `stringify(value, { lineWidth: 0, ...options })`, remembered by the value's JSON text. */
export function yamlText(value: unknown, options: YamlTextOptions = {}): string {
  const key = plainKey(value, options);
  const known = key === undefined ? undefined : remembered.get(key);
  if (known !== undefined) return known;
  const text = stringify(value, { lineWidth: 0, ...options });
  if (key === undefined) return text;
  if (remembered.size >= KEPT) remembered.delete(remembered.keys().next().value ?? "");
  remembered.set(key, text);
  return text;
}
