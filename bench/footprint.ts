/**
 * Where the operator's resident memory goes before it does any work: each row is a fresh
 * node process (the operator's flags) that loads one thing and reports its VmRSS and V8
 * heap when it exits. Differences between rows are the cost of what they add: Node itself,
 * Node's TypeScript loader, each run-time package, the whole `run` path from the sources
 * and from the bundle (dist/meshkeeper.js, rebuilt first if stale). No cluster needed.
 * Run: npm run bench:footprint [-- --repeat N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureOperatorBundle } from "../operator/build/operator-bundle.ts";
import { OPERATOR_NODE_FLAGS } from "../operator/local/background-operator.ts";
import { median, printTable } from "./table.ts";

const { values } = parseArgs({ options: { repeat: { type: "string", default: "3" } } });
const repeat = Number(values.repeat);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "meshkeeper-footprint-"));

// Printed by every measured process as it exits, whatever it ran.
const REPORTER = join(work, "report.mjs");
writeFileSync(
  REPORTER,
  `import { readFileSync } from "node:fs";
process.on("exit", () => {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (field) => Number(new RegExp(field + ":\\\\s+(\\\\d+)").exec(status)?.[1] ?? 0);
  const { heapUsed } = process.memoryUsage();
  process.stderr.write("\\nFOOTPRINT " + JSON.stringify({ rss: kib("VmRSS"), anon: kib("RssAnon"), heapUsed }) + "\\n");
});
`,
);
const TRIVIAL_TS = join(work, "trivial.ts");
writeFileSync(TRIVIAL_TS, "const answer: number = 42;\nexport { answer };\n");

interface Row {
  readonly label: string;
  readonly args: readonly string[];
  readonly note: string;
}

const importing = (specifier: string) => [
  "--input-type=module",
  "-e",
  `await import(${JSON.stringify(specifier)});`,
];
const requiring = (specifier: string) => ["-e", `require(${JSON.stringify(specifier)});`];
// The run path up to its first I/O: every module of `meshkeeper run` is evaluated
// before it reads the kubeconfig, which does not exist here.
const NO_CLUSTER = ["run", "--kubeconfig", join(work, "no-such-kubeconfig")];

const bundle = ensureOperatorBundle();
const rows: Row[] = [
  { label: "node, nothing loaded", args: ["-e", "0"], note: "the floor" },
  { label: "a one-line .ts file", args: [TRIVIAL_TS], note: "Node's TypeScript loader" },
  { label: "node:http, require()", args: requiring("node:http"), note: "" },
  {
    label: "node:http, import",
    args: importing("node:http"),
    note: "an ES module namespace reads every lazy export",
  },
  ...["yaml", "zod", "handlebars", "pino", "prom-client", "p-queue"].map((name) => ({
    label: `${name}, import`,
    args: importing(name),
    note: "",
  })),
  {
    label: "@peculiar/x509 (operator/pki/x509-library.ts)",
    args: importing(join(ROOT, "operator/pki/x509-library.ts")),
    note: "includes the TypeScript loader",
  },
  {
    label: "@kubernetes/client-node, import",
    args: importing("@kubernetes/client-node"),
    note: "not on the run path",
  },
  {
    label: "meshkeeper run, from the sources",
    args: [join(ROOT, "operator/cli/main.ts"), ...NO_CLUSTER],
    note: "the developer loop",
  },
  {
    label: "meshkeeper run, dist/meshkeeper.js",
    args: [bundle, ...NO_CLUSTER],
    note: "what the image and bench:operator run",
  },
];

interface Sample {
  readonly rss: number;
  readonly anon: number;
  readonly heapUsed: number;
}

function measure(row: Row): Sample {
  const result = spawnSync(
    process.execPath,
    [...OPERATOR_NODE_FLAGS, "--import", REPORTER, ...row.args],
    { cwd: ROOT, encoding: "utf8" },
  );
  const line = /^FOOTPRINT (.*)$/m.exec(result.stderr)?.[1];
  if (!line) throw new Error(`${row.label}: no report\n${result.stderr}`);
  return JSON.parse(line) as Sample;
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
try {
  const floor = median(Array.from({ length: repeat }, () => measure(rows[0] as Row).rss));
  const table = rows.map((row) => {
    const samples = Array.from({ length: repeat }, () => measure(row));
    const rss = median(samples.map((s) => s.rss));
    const anon = median(samples.map((s) => s.anon));
    const heap = median(samples.map((s) => s.heapUsed)) / 1024;
    const over = rss - floor;
    return [
      row.label,
      mib(rss),
      `${over < 0 ? "-" : "+"}${mib(Math.abs(over))}`,
      mib(anon),
      mib(heap),
      row.note,
    ];
  });
  printTable(
    `Resident memory of one node process per row (${OPERATOR_NODE_FLAGS.join(" ")}; median of ${repeat}; Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2) ?? "?"})`,
    ["loads", "VmRSS", "over node", "RssAnon", "heap used", "note"],
    table,
    `npm run bench:footprint -- --repeat ${repeat}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
