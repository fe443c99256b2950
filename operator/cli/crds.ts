/**
 * `meshkeeper crds [-o DIR]`: prints the generated CRDs, or writes them into DIR (what
 * `npm run generate` does for crds/). Generated from operator/api/, never edited by hand.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CRD_FILE, meshConfigCrdYaml } from "../api/crd.ts";

export function generatedCrds(): ReadonlyMap<string, string> {
  return new Map([[CRD_FILE, meshConfigCrdYaml()]]);
}

export function crdsCommand(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: { output: { type: "string", short: "o" } },
  });
  const files = generatedCrds();
  if (values.output === undefined) {
    process.stdout.write([...files.values()].join("---\n"));
    return 0;
  }
  mkdirSync(values.output, { recursive: true });
  for (const [name, text] of files) {
    writeFileSync(join(values.output, name), text);
    console.log(`wrote ${join(values.output, name)}`);
  }
  return 0;
}
