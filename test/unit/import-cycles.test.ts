/**
 * No import cycles anywhere in operator/ (the developers' guide): the static import graph
 * of every operator/**\/*.ts file, type-only imports and re-exports included (a type
 * cycle is still two files that cannot be understood apart), has no strongly connected
 * component larger than one file. Dynamic import() is left out: the CLI loads its
 * subcommands lazily on purpose, and a lazy edge cannot deadlock module evaluation.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OPERATOR = join(ROOT, "operator");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

// `import ... from "./x.ts"`, `export ... from "./x.ts"`, `import "./x.ts"`, over line breaks.
const STATIC_IMPORT = /(?:^|[\n;])\s*(?:import|export)\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/g;

/** Relative imports of a file, resolved to files under operator/. */
export function importsOf(file: string, text: string): string[] {
  const targets: string[] = [];
  for (const match of text.matchAll(STATIC_IMPORT)) {
    const specifier = match[1] ?? "";
    if (specifier.startsWith(".")) targets.push(resolve(dirname(file), specifier));
  }
  return targets;
}

/** Tarjan's strongly connected components with more than one member (or a self-import). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const lowOf = (node: string) => low.get(node) ?? 0;
  const visit = (node: string): void => {
    indices.set(node, indices.size);
    low.set(node, indices.size - 1);
    stack.push(node);
    for (const next of (graph.get(node) ?? []).filter((n) => graph.has(n))) {
      if (!indices.has(next)) visit(next);
      if (stack.includes(next)) low.set(node, Math.min(lowOf(node), lowOf(next)));
    }
    if (lowOf(node) !== indices.get(node)) return;
    const component = stack.splice(stack.indexOf(node));
    if (component.length > 1 || (graph.get(node) ?? []).includes(node))
      found.push(component.sort());
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

describe("the import graph of operator/", () => {
  it("finds cycles when there are some (the checker itself)", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["d"]],
      ["e", ["a"]],
    ]);
    expect(cycles(graph)).toEqual([["a", "b", "c"], ["d"]]);
    expect(
      importsOf(
        "/x/y.ts",
        'import type { A } from "./a.ts";\nexport { B } from "../b.ts";\nimport "./c.ts";\nimport {\n  D,\n} from "./d.ts";\nconst lazy = () => import("./e.ts");',
      ),
    ).toEqual(["/x/a.ts", "/b.ts", "/x/c.ts", "/x/d.ts"]);
  });

  it("has no import cycles", () => {
    const files = sourceFiles(OPERATOR);
    expect(files.length).toBeGreaterThan(50);
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, "utf8"))]));
    const named = cycles(graph).map((component) => component.map((f) => relative(ROOT, f)));
    expect(named).toEqual([]);
  });
});
