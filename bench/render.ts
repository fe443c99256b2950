/**
 * Render time: the production sample, and MeshConfigs with growing numbers of gateways, to
 * show how time grows with gateways. Warm: templates are compiled once, before timing.
 * Each row runs twice, side by side in one table: in a node with default flags, and in a
 * node with the operator's flags (OPERATOR_NODE_FLAGS: its 1 MiB young generation makes
 * garbage cost more), each a fresh child process of this one.
 *
 * Wall-clock times count waiting for a core on a busy machine; the CPU columns
 * (process.cpuUsage() around each render) count only this process's work, so they are the
 * figures to compare between runs at different loads. The load average is printed beside.
 * Run: npm run bench:render [-- --iterations N]
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import type { MeshConfigSpec } from "../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../operator/api/validate.ts";
import { OPERATOR_NODE_FLAGS } from "../operator/local/background-operator.ts";
import { render } from "../operator/render/render.ts";
import { median, printTable } from "./table.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "200" },
    // Internal: this process is one of the measured children; print rows as JSON.
    child: { type: "boolean", default: false },
  },
});
const iterations = Number(values.iterations);

function valid(input: unknown): MeshConfigSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

interface Timing {
  readonly label: string;
  readonly objects: number;
  readonly wall: readonly number[];
  readonly cpu: readonly number[];
}

/** The value at quantile p of the values (nearest rank). */
function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function time(label: string, spec: MeshConfigSpec): Timing {
  const objects = render(spec).length; // warm-up: compiles templates, fills caches
  for (let i = 0; i < 10; i += 1) render(spec); // and lets the optimizing compiler act
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const cpuStart = process.cpuUsage();
    const started = process.hrtime.bigint();
    render(spec);
    wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { label, objects, wall, cpu };
}

function measureHere(): Timing[] {
  const production = valid(
    (
      parse(
        readFileSync(new URL("../config/samples/production.yaml", import.meta.url), "utf8"),
      ) as { spec: unknown }
    ).spec,
  );
  const withGateways = (count: number) =>
    valid({
      ...production,
      gateways: Array.from({ length: count }, (_, i) => ({
        name: `gateway-${i}`,
        namespace: `gateways-${i % 10}`,
        type: i % 2 ? "egress" : "ingress",
      })),
    });
  return [
    time("production sample (2 gateways)", production),
    ...[0, 10, 25, 50].map((count) => time(`${count} gateways`, withGateways(count))),
  ];
}

/** One child node per flag set, one after the other (never two at once on the cores). */
function measureIn(flags: readonly string[]): Timing[] {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [...flags, script, "--child", "--iterations", String(iterations)],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`bench:render child failed:\n${child.stderr}`);
  return JSON.parse(child.stdout) as Timing[];
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

if (values.child) {
  process.stdout.write(JSON.stringify(measureHere()));
} else {
  const loadBefore = loadavg()[0] ?? 0;
  const runs = [
    { name: "default", flags: [] as readonly string[] },
    { name: "operator", flags: OPERATOR_NODE_FLAGS },
  ].map((run) => ({ ...run, timings: measureIn(run.flags) }));
  const loadAfter = loadavg()[0] ?? 0;
  const rows = runs.flatMap(({ name, timings }) =>
    timings.map((t) => [
      t.label,
      name,
      String(t.objects),
      ms(median(t.wall)),
      ms(quantile(t.wall, 0.95)),
      ms(median(t.cpu)),
      ms(quantile(t.cpu, 0.95)),
      `${((median(t.cpu) / t.objects) * 1000).toFixed(0)} µs`,
    ]),
  );
  const operatorFlags = OPERATOR_NODE_FLAGS.join(" ");
  printTable(
    `Render time, warm (${iterations} iterations each; node flags: default = none, operator = ${operatorFlags}; Node ${process.version}; ${cpus().length} cores; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after)`,
    [
      "MeshConfig",
      "node flags",
      "objects",
      "wall p50",
      "wall p95",
      "CPU p50",
      "CPU p95",
      "CPU per object",
    ],
    rows,
    `npm run bench:render -- --iterations ${iterations}`,
  );
}
