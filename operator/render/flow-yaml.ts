/**
 * The one-line part of block-yaml.ts's reader: plain and quoted scalars and flow
 * collections (`{ name: http2, port: 80 }`, `["a", "b"]`), as the templates print them
 * (the `json` helper prints every label set and argument list this way). Like the block
 * reader, it never guesses: anything outside the subset throws OutsideSubset, and the
 * caller reads the text with the `yaml` package instead.
 *
 * Written for the operator's node flags (no optimizing compiler, so every step of a loop is
 * interpreted): readers return their value and leave the index after it in `cursor.at`
 * instead of allocating a pair per value, and runs of characters are found by sticky
 * regular expressions (one call into the regular expression engine), not loops.
 */

/** Thrown inside the reader when the text leaves the subset; never escapes readTemplateYaml. */
export class OutsideSubset extends Error {}

export function outside(): never {
  throw new OutsideSubset();
}

/** Where the last value read ended: the index just after it. */
export const cursor = { at: 0 };

/** Characters that give a plain scalar's first position a meaning in YAML (`-x` is plain). */
const INDICATOR_START = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?: |$))/;
/** What the core schema reads as a number: int, octal, hex, float, infinity, NaN. */
const CORE_NUMBER =
  /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
/** YAML 1.2 core schema words that are not strings; only the lower-case ones are read here. */
export const NOT_STRINGS = new Set(["null", "Null", "NULL", "~", "true", "True", "TRUE"]);
["false", "False", "FALSE", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].forEach((w) =>
  NOT_STRINGS.add(w),
);
const SMALL_INTEGER = /^(?:0|-?[1-9][0-9]{0,14})$/;
// Raw control characters, line and paragraph separators and the byte-order mark: YAML and
// JSON disagree on some of them, so text holding one goes the long way.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_QUOTES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

// Sticky: after test(), lastIndex is where the run starting at lastIndex ends.
const SPACES = / */y;
const FLOW_PLAIN_RUN = /[^,[\]{}:#]*/y;

/** Where the run of `pattern` (sticky, matching the empty string too) from `at` ends. */
export function runEnd(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  pattern.test(text);
  return pattern.lastIndex;
}

/** The index of the first character at or after `at` that is not a space. */
export function skipSpaces(line: string, at: number): number {
  return line.charCodeAt(at) === 0x20 ? runEnd(SPACES, line, at) : at;
}

/** Where the text ends without its trailing spaces, at or after `from`. */
export function endWithoutSpaces(text: string, from = 0): number {
  let end = text.length;
  while (end > from && text.charCodeAt(end - 1) === 0x20) end -= 1;
  return end;
}

// YAML's white space is spaces and tabs only (String.trim would take NBSP and more), and
// / +$/ would retry at every space of a line.
export const trimSpacesEnd = (text: string) => text.slice(0, endWithoutSpaces(text));
export const trimSpacesStart = (text: string) => text.slice(skipSpaces(text, 0));

export function plainScalar(text: string): string | number | boolean | null {
  if (text === "null") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  if (SMALL_INTEGER.test(text)) return Number(text);
  if (NOT_STRINGS.has(text) || INDICATOR_START.test(text) || CORE_NUMBER.test(text)) outside();
  if (text.includes(": ") || text.endsWith(":") || text.includes("\t")) outside();
  return text;
}

/** The double-quoted scalar starting at `start`; `cursor.at` is then after it. */
export function quoted(line: string, start: number): string {
  let end = start + 1;
  for (;;) {
    const next = line.indexOf('"', end);
    if (next < 0) outside(); // continues on the next line
    end = next + 1;
    if (line.charCodeAt(next - 1) !== 0x5c) break;
    let backslashes = 1;
    for (let i = next - 2; line.charCodeAt(i) === 0x5c; i -= 1) backslashes += 1;
    if (backslashes % 2 === 0) break;
  }
  const token = line.slice(start, end);
  if (UNSAFE_IN_QUOTES.test(token)) outside();
  // JSON's escapes are a subset of YAML's with the same meaning; JSON.parse refuses the
  // others (\x41, \0, \e, \N, ...), which the yaml package then reads.
  let value: string;
  try {
    value = JSON.parse(token) as string;
  } catch {
    return outside();
  }
  cursor.at = end;
  return value;
}

/** The single-quoted scalar starting at `start` (`''` is a quote); `cursor.at` after it. */
function singleQuoted(line: string, start: number): string {
  let at = start + 1;
  for (;;) {
    const next = line.indexOf("'", at);
    if (next < 0) outside(); // continues on the next line
    if (line[next + 1] !== "'") {
      cursor.at = next + 1;
      return line.slice(start + 1, next).replaceAll("''", "'");
    }
    at = next + 2;
  }
}

const AFTER_FLOW_KEY = new Set([" ", ",", "}"]);

/** Where a plain scalar inside a flow collection ends: before `,`, `[`, `]`, `{`, `}` or `: `. */
function flowPlainEnd(line: string, start: number): number {
  for (let i = start; ; i += 1) {
    i = runEnd(FLOW_PLAIN_RUN, line, i);
    const c = line[i];
    if (c === ":" ? AFTER_FLOW_KEY.has(line[i + 1] ?? "") : c !== "#") return i;
    if (c === "#" && line[i - 1] === " ") outside();
  }
}

function flowScalar(line: string, at: number): unknown {
  const first = line[at];
  if (first === '"') return quoted(line, at);
  if (first === "'") return singleQuoted(line, at);
  const end = flowPlainEnd(line, at);
  let stop = end;
  while (stop > at && line.charCodeAt(stop - 1) === 0x20) stop -= 1;
  const text = line.slice(at, stop);
  if (text === "") outside();
  cursor.at = end;
  return plainScalar(text);
}

function flowValue(line: string, at: number): unknown {
  const first = line[at];
  if (first === "{") return flowMapping(line, at);
  if (first === "[") return flowSequence(line, at);
  return flowScalar(line, at);
}

export function setKey(map: Record<string, unknown>, key: unknown, value: unknown): void {
  if (typeof key !== "string" || key === "__proto__" || Object.hasOwn(map, key)) outside();
  map[key] = value;
}

/** After an item of a flow collection: the next item's index, or -1 after the closing one. */
function nextItem(line: string, close: string): number {
  let i = skipSpaces(line, cursor.at);
  if (line[i] === close) {
    cursor.at = i + 1;
    return -1;
  }
  if (line[i] !== ",") outside();
  i = skipSpaces(line, i + 1);
  if (line[i] === close) outside(); // a trailing comma: valid YAML, not ours
  return i;
}

function flowMapping(line: string, open: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  let i = skipSpaces(line, open + 1);
  if (line[i] === "}") {
    cursor.at = i + 1;
    return map;
  }
  while (i >= 0) {
    const key = flowScalar(line, i);
    const colon = skipSpaces(line, cursor.at);
    if (line[colon] !== ":" || line[colon + 1] !== " ") outside();
    setKey(map, key, flowValue(line, skipSpaces(line, colon + 1)));
    i = nextItem(line, "}");
  }
  return map;
}

function flowSequence(line: string, open: number): unknown[] {
  const items: unknown[] = [];
  let i = skipSpaces(line, open + 1);
  if (line[i] === "]") {
    cursor.at = i + 1;
    return items;
  }
  while (i >= 0) {
    items.push(flowValue(line, i));
    if (line[skipSpaces(line, cursor.at)] === ":") outside(); // a single-pair mapping
    i = nextItem(line, "]");
  }
  return items;
}

/** A value that fills the rest of a line (after `key: ` or `- `), comment allowed. */
export function inlineValue(text: string): unknown {
  const first = text[0];
  if (first === "{" || first === "[" || first === '"' || first === "'") {
    const value = flowValue(text, 0);
    const end = cursor.at;
    if (end === text.length) return value;
    const rest = trimSpacesStart(text.slice(end));
    if (rest !== "" && !rest.startsWith("#")) outside();
    if (rest !== "" && text[end] !== " ") outside();
    return value;
  }
  const comment = text.indexOf(" #");
  return plainScalar(trimSpacesEnd(comment < 0 ? text : text.slice(0, comment)));
}
