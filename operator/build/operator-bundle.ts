/**
 * The operator as shipped: `operator/cli/main.ts` bundled by esbuild into one JavaScript
 * file, dist/meshkeeper.js, with only the `run` command in it. Every place that starts an
 * operator process (the image, config/manager, `npm run operator`, the demo, the HA test,
 * bench:operator) runs this file; the developer loop keeps running the TypeScript sources.
 *
 * Why a bundle: under type stripping every .ts module is compiled by Node's TypeScript
 * loader (about 20 MiB of resident memory for the loader alone), and each of the ~60
 * modules and ~200 dependency files costs a module record, a source string and a
 * compiled wrapper. One bundled file costs neither (docs/footprint.md has the figures).
 *
 * The other commands stay out: they are dynamic imports in main.ts, replaced here by a
 * module that fails with a one-line message, so the run path never carries their
 * dependencies (client-node, the Go build helpers, the OLM generator).
 *
 * Freshness: next to the bundle, dist/meshkeeper.inputs.json records the SHA-256 of every
 * file that went into it (esbuild's metafile) and of this file. `ensureOperatorBundle()`
 * rebuilds whenever one differs, so a started operator never runs stale code.
 *
 * Run: npm run build   (node operator/build/operator-bundle.ts)
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = join(ROOT, "operator/cli/main.ts");
const THIS_FILE = fileURLToPath(import.meta.url);
export const DIST_DIR = join(ROOT, "dist");
export const OPERATOR_BUNDLE = join(DIST_DIR, "meshkeeper.js");
export const INPUTS_FILE = join(DIST_DIR, "meshkeeper.inputs.json");

/** The only subcommand main.ts may import into the bundle. */
const BUNDLED_COMMANDS = new Set(["./run.ts"]);

/**
 * What a left-out subcommand's module does when main.ts imports it: one line saying where
 * the command is, and exit code 2 (a usage error), as for an unknown command.
 */
function leftOutModule(path: string): string {
  const command = path.replace(/^\.\//, "").replace(/\.ts$/, "");
  const message =
    `error: 'meshkeeper ${command}' is not part of the operator build (dist/meshkeeper.js ` +
    `runs the operator only); run it from the sources: npm run meshkeeper -- ${command}`;
  return `console.error(${JSON.stringify(message)});\nprocess.exit(2);\n`;
}

/**
 * The module's text with `import.meta.url` meaning where its source file is, relative to
 * the bundle: so `new URL("../../templates/", import.meta.url)` in operator/render/ still
 * finds templates/ at the package root, in the tree and in the image alike.
 */
function withSourceLocation(path: string): string {
  const fromBundle = relative(DIST_DIR, path).split(sep).join("/");
  const location = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
  return readFileSync(path, "utf8").replaceAll("import.meta.url", location);
}

interface RecordedInputs {
  readonly esbuild: string;
  readonly files: Record<string, string>;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function readRecorded(inputsFile: string): RecordedInputs | undefined {
  if (!existsSync(inputsFile) || !existsSync(OPERATOR_BUNDLE)) return undefined;
  try {
    return JSON.parse(readFileSync(inputsFile, "utf8")) as RecordedInputs;
  } catch {
    return undefined;
  }
}

/** Why the bundle must be rebuilt, or undefined when it is fresh. */
export function staleReason(inputsFile = INPUTS_FILE): string | undefined {
  const recorded = readRecorded(inputsFile);
  if (!recorded) return `${relative(ROOT, OPERATOR_BUNDLE)} has not been built`;
  for (const [file, hash] of Object.entries(recorded.files)) {
    const path = join(ROOT, file);
    if (!existsSync(path)) return `${file} no longer exists`;
    if (sha256(path) !== hash) return `${file} changed since the last build`;
  }
  return undefined;
}

function writeAtomically(path: string, contents: string | Uint8Array, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents, { mode });
  renameSync(temporary, path);
}

/** Builds dist/meshkeeper.js and records its inputs. */
export async function buildOperatorBundle(): Promise<{ bytes: number; inputs: number }> {
  const esbuild = await import("esbuild");
  mkdirSync(DIST_DIR, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile: OPERATOR_BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // CommonJS dependencies (handlebars, pino, prom-client) call require() for Node's
    // own modules; an ES module has no require of its own.
    banner: {
      js: 'import { createRequire as __meshkeeperRequire } from "node:module";\nconst require = __meshkeeperRequire(import.meta.url);',
    },
    // Whitespace and syntax only: V8 keeps every script's source in memory, so shorter
    // source is less resident memory; names stay, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: "none",
    metafile: true,
    // Written below, by rename: a process starting from the file never reads half of it.
    write: false,
    logLevel: "warning",
    plugins: [
      {
        name: "operator-only",
        setup(build) {
          build.onResolve({ filter: /^\.\/[a-z-]+\.ts$/ }, (args) => {
            const fromMain = args.importer === ENTRY && args.kind === "dynamic-import";
            if (!fromMain || BUNDLED_COMMANDS.has(args.path)) return undefined;
            return { path: args.path, namespace: "left-out" };
          });
          build.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => ({
            contents: leftOutModule(args.path),
            loader: "js",
          }));
          // Node's own modules by require(), not import: an ES module namespace of a
          // built-in reads every export, lazy ones included, and node:http's and node:fs's
          // lazy exports load undici, http2, TLS and readline (about 14 MiB resident).
          build.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
            const esm = args.kind === "import-statement" || args.kind === "dynamic-import";
            if (!esm || !isBuiltin(args.path)) return undefined;
            return { path: args.path, namespace: "node-builtin" };
          });
          build.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => ({
            contents: `module.exports = require(${JSON.stringify(args.path)});`,
            loader: "js",
          }));
          // Our modules find templates/ and crds/ relative to their own file; in the
          // bundle, import.meta.url would be dist/meshkeeper.js for all of them.
          build.onLoad({ filter: /\/operator\/.*\.ts$/ }, (args) => ({
            contents: withSourceLocation(args.path),
            loader: "ts",
          }));
        },
      },
    ],
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild wrote no output");
  writeAtomically(OPERATOR_BUNDLE, output.contents, 0o755);
  const files: Record<string, string> = { [relative(ROOT, THIS_FILE)]: sha256(THIS_FILE) };
  for (const input of Object.keys(result.metafile.inputs)) {
    if (/^[a-z-]+:/.test(input)) continue; // left-out: and node-builtin: are not files
    files[input] = sha256(join(ROOT, input));
  }
  const recorded: RecordedInputs = { esbuild: esbuild.version, files };
  writeAtomically(INPUTS_FILE, `${JSON.stringify(recorded, null, 2)}\n`);
  return { bytes: output.contents.length, inputs: Object.keys(files).length };
}

/**
 * Makes sure dist/meshkeeper.js is fresh before an operator process starts from it;
 * synchronous, so the places that compose a command line stay simple. A rebuild runs this
 * file as its own process (esbuild's plugins need the asynchronous API).
 */
export function ensureOperatorBundle(): string {
  const reason = staleReason();
  if (reason === undefined) return OPERATOR_BUNDLE;
  const build = spawnSync(process.execPath, [THIS_FILE], { encoding: "utf8" });
  if (build.status !== 0)
    throw new Error(
      `building ${relative(ROOT, OPERATOR_BUNDLE)} (${reason}) failed:\n${build.stderr}`,
    );
  return OPERATOR_BUNDLE;
}

if (import.meta.main) {
  const started = Date.now();
  const { bytes, inputs } = await buildOperatorBundle();
  console.log(
    `${relative(ROOT, OPERATOR_BUNDLE)}: ${(bytes / 1024).toFixed(0)} KiB from ${inputs} files in ${Date.now() - started} ms`,
  );
}
