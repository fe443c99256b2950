/**
 * `meshkeeper bundle [--check] [--validate]`: writes the OLM bundle and catalog under olm/
 * and the MeshConfig CRD copy under config/crd/ (what `npm run bundle` does), or with
 * --check only says which of them differ from what the generator makes (exit 1 when
 * stale). --validate then runs operator-sdk and opm on the result (built on first use).
 * olm/bundle/ and olm/catalog/ belong to the generator: files it no longer makes are removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { BUNDLE_DIR, CATALOG_DIR, generateOlmFiles } from "../olm/bundle.ts";
import { REPO_ROOT } from "../olm/kustomize.ts";
import { ensureValidators, validateBundle, validateCatalog } from "../olm/validators.ts";
import { BUNDLE_OPTIONS, BUNDLE_USAGE } from "./usage.ts";
import { parseOptions } from "./args.ts";

function filesUnder(dir: string): string[] {
  const root = join(REPO_ROOT, dir);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)));
}

export interface Staleness {
  /** Generated files whose committed copy is missing or different. */
  readonly changed: readonly string[];
  /** Files in the generator's folders that it does not make. */
  readonly extra: readonly string[];
}

export function staleness(files: ReadonlyMap<string, string>): Staleness {
  const changed = [...files]
    .filter(([path, text]) => {
      const file = join(REPO_ROOT, path);
      return !existsSync(file) || readFileSync(file, "utf8") !== text;
    })
    .map(([path]) => path);
  const extra = [BUNDLE_DIR, CATALOG_DIR].flatMap(filesUnder).filter((path) => !files.has(path));
  return { changed, extra };
}

export async function bundleCommand(argv: readonly string[]): Promise<number> {
  const values = parseOptions(argv, BUNDLE_OPTIONS, BUNDLE_USAGE);
  if (values === undefined) return 0;
  const files = await generateOlmFiles();
  const { changed, extra } = staleness(files);
  if (values.check) {
    for (const path of changed) console.error(`stale: ${path}`);
    for (const path of extra) console.error(`not generated: ${path}`);
    if (changed.length + extra.length > 0) {
      console.error("→ run `npm run bundle` and commit the result");
      return 1;
    }
  } else write(files, changed, extra);
  return values.validate ? validate() : 0;
}

function write(
  files: ReadonlyMap<string, string>,
  changed: readonly string[],
  extra: readonly string[],
): void {
  for (const path of extra) {
    rmSync(join(REPO_ROOT, path));
    console.log(`removed ${path}`);
  }
  for (const path of changed) {
    const file = join(REPO_ROOT, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, files.get(path) ?? "");
    console.log(`wrote ${path}`);
  }
  console.log(`${files.size} files, ${changed.length} changed`);
}

async function validate(): Promise<number> {
  const { operatorSdk, opm } = await ensureValidators();
  let failed = false;
  for (const [what, report] of [
    ["operator-sdk bundle validate (suite=operatorframework)", await validateBundle(operatorSdk)],
    ["opm validate", await validateCatalog(opm)],
  ] as const) {
    const clean = report.passed && report.findings.length === 0;
    failed ||= !clean;
    console.log(`${clean ? "ok" : "FAILED"}: ${what}`);
    for (const finding of report.findings) console.log(`  ${finding}`);
  }
  return failed ? 1 : 0;
}
