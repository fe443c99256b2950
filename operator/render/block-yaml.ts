/**
 * A fast reader for the YAML our templates print and crds/ holds, and only that: block
 * mappings and sequences indented with spaces, flow collections on one line, quoted
 * scalars on one line (what `quote` and `json` print), literal block scalars (`|`, `|-`)
 * and plain scalars that are plainly strings, small integers, true, false or null.
 * Profiling the production render showed the `yaml` package taking three quarters of its
 * time and most of its garbage (parsing the Istio CRDs once left ~20 MiB of heap behind);
 * this reads the same text without building a syntax tree, 10-20 times faster.
 *
 * It never guesses: anything outside that subset (a tab, an anchor, a tag, a folded
 * scalar, a multi-line quoted or plain scalar, a duplicate key, a plain scalar that YAML would
 * read as anything but a string, ...) makes it return undefined, and the caller parses the
 * text with the `yaml` package instead, which also reports the errors. A unit test checks
 * that both readers give the same values for every template of every render input.
 */

import { parse } from "yaml";
import {
  OutsideSubset,
  NOT_STRINGS,
  cursor,
  endWithoutSpaces,
  inlineValue,
  outside,
  quoted,
  setKey,
  skipSpaces,
  trimSpacesStart,
} from "./flow-yaml.ts";

interface Line {
  readonly indent: number;
  /** The line without its indentation and trailing spaces. */
  readonly text: string;
  /** The line as written: a literal block scalar's content is taken from it. */
  readonly raw: string;
  /** Blank or a comment: skipped everywhere but inside a block scalar. */
  readonly skip: boolean;
}

const BLOCK_KEY = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +|$)/;
// Raw control characters, line and paragraph separators and the byte-order mark, line
// feeds apart (tabs and carriage returns included): YAML and JSON disagree on some of
// them, so text holding one goes the long way.
// eslint-disable-next-line no-control-regex
const UNSAFE_ANYWHERE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

class BlockReader {
  private at = 0;
  private readonly lines: Line[];
  constructor(lines: Line[]) {
    this.lines = lines;
  }

  read(): unknown {
    const first = this.peek();
    if (!first) return null;
    const value = this.node(first.indent);
    if (this.peek()) outside();
    return value;
  }

  private peek(): Line | undefined {
    while (this.lines[this.at]?.skip) this.at += 1;
    return this.lines[this.at];
  }

  /** A value that starts on the current line after `key:` or `-` (already consumed). */
  private valueAfter(indent: number, rest: string, inMapping: boolean): unknown {
    if (rest === "" || rest.startsWith("#")) return this.nested(indent, inMapping);
    if (rest === "|" || rest === "|-") return this.literal(indent, rest === "|-");
    return inlineValue(rest);
  }

  /**
   * A literal block scalar (`|` keeps one final line feed, `|-` none) whose lines are
   * indented deeper than `parentIndent`. Explicit indentation, `|+`, folded scalars and
   * blank lines holding more spaces than the content decline.
   */
  private literal(parentIndent: number, strip: boolean): string {
    const indent = this.literalIndent();
    if (indent <= parentIndent) outside();
    const content: string[] = [];
    for (let line = this.lines[this.at]; line; line = this.lines[this.at]) {
      const blank = isBlank(line.raw);
      if (blank && line.raw.length > indent) outside();
      if (!blank && line.indent < indent) break;
      content.push(blank ? "" : line.raw.slice(indent));
      this.at += 1;
    }
    while (content.at(-1) === "") content.pop();
    const text = content.join("\n");
    return strip ? text : `${text}\n`;
  }

  /** A literal's indentation: that of its first line that is not blank. */
  private literalIndent(): number {
    let first = this.at;
    while (isBlank(this.lines[first]?.raw)) first += 1;
    return this.lines[first]?.indent ?? 0;
  }

  private node(indent: number): unknown {
    const line = this.peek();
    if (!line || line.indent !== indent) outside();
    return isItem(line.text) ? this.sequence(indent) : this.mapping(indent);
  }

  /** What follows `key:` or `-` with nothing after it on the line. */
  private nested(parentIndent: number, inMapping: boolean): unknown {
    const next = this.peek();
    if (next && next.indent > parentIndent) return this.node(next.indent);
    if (inMapping && next?.indent === parentIndent && isItem(next.text))
      return this.sequence(parentIndent);
    return null;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.peek(); line?.indent === indent; line = this.peek()) {
      if (isItem(line.text)) break;
      const [key, rest] = blockKey(line.text);
      this.at += 1;
      const value = this.valueAfter(indent, rest, true);
      setKey(map, key, value);
    }
    const after = this.peek();
    if (after && after.indent > indent) outside();
    return map;
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.peek(); line?.indent === indent && isItem(line.text); line = this.peek()) {
      items.push(this.item(indent, line.text));
    }
    const after = this.peek();
    if (after && after.indent > indent) outside();
    return items;
  }

  /** One `- ...` line of a sequence at `indent`, and what belongs to it. */
  private item(indent: number, text: string): unknown {
    const content = trimSpacesStart(text.slice(1));
    if (!opensCollection(content)) {
      this.at += 1;
      return this.valueAfter(indent, content, false);
    }
    // `- key: value` or `- - x`: a collection whose first line is the dash's line, its
    // indentation where the content starts.
    const childIndent = indent + (text.length - content.length);
    this.lines[this.at] = { indent: childIndent, text: content, raw: content, skip: false };
    return this.node(childIndent);
  }
}

/** A block mapping's key (plain or double-quoted) and the rest of its line. */
function blockKey(text: string): [string, string] {
  const plain = BLOCK_KEY.exec(text);
  if (plain?.[1] && !NOT_STRINGS.has(plain[1])) return [plain[1], text.slice(plain[0].length)];
  if (text[0] !== '"') outside();
  const key = quoted(text, 0);
  const end = cursor.at;
  if (text[end] !== ":" || (text[end + 1] ?? " ") !== " ") outside();
  return [key, trimSpacesStart(text.slice(end + 1))];
}

/** Whether a sequence item's content opens a collection on the dash's line. */
function opensCollection(content: string): boolean {
  return BLOCK_KEY.test(content) || /^"(?:[^"\\]|\\.)*":/.test(content) || isItem(content);
}

function isBlank(raw: string | undefined): boolean {
  return raw !== undefined && /^ *$/.test(raw);
}

function isItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** Whether a line at column 0 starts a document; other markers and directives decline. */
function isMarker(line: string): boolean {
  if (line === "---" || line.startsWith("--- #")) return true;
  if (line.startsWith("---") || line.startsWith("...") || line.startsWith("%")) outside();
  return false;
}

/** The text's lines grouped into documents; comments and blank lines dropped. */
function documents(text: string): Line[][] {
  if (UNSAFE_ANYWHERE.test(text)) outside();
  const docs: Line[][] = [[]];
  for (const raw of text.split("\n")) {
    const indent = skipSpaces(raw, 0);
    if (indent === 0 && isMarker(raw)) docs.push([]);
    else {
      const body = raw.slice(indent, endWithoutSpaces(raw, indent));
      const skip = body === "" || body.startsWith("#");
      docs.at(-1)?.push({ indent, text: body, raw, skip });
    }
  }
  return docs;
}

/**
 * One YAML document's value, to be kept for the life of the process (the CRDs of crds/):
 * by the fast reader where the text is inside its subset (the generated CRDs are, block
 * scalars and all), by the yaml package otherwise. The value holds no part of the text:
 * V8 makes a substring of 13 characters or more a slice that keeps its whole parent
 * alive, so a parsed CRD kept every file it came from (2 MiB of heap for Istio's);
 * copying the value once through JSON gives it strings of its own.
 */
export function parseYaml(text: string): unknown {
  const values = readTemplateYaml(text)?.filter((value) => value !== null);
  const value: unknown = values?.length === 1 ? values[0] : parse(text);
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * The values of the text's YAML documents (null for an empty one), or undefined when the
 * text uses YAML beyond the subset described above.
 */
export function readTemplateYaml(text: string): unknown[] | undefined {
  try {
    return documents(text).map((lines) => new BlockReader(lines).read());
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
}
