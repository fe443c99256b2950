/**
 * Render time: the production sample, and MeshConfigs with growing numbers of gateways, to
 * show how time grows with gateways. Warm: templates are compiled once, before timing.
 * Run: npm run bench:render [-- --iterations N]
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import type { MeshConfigSpec } from "../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../operator/api/validate.ts";
import { render } from "../operator/render/render.ts";
import { median, printTable } from "./table.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "200" } } });
const iterations = Number(values.iterations);

function valid(input: unknown): MeshConfigSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

interface Timing {
  readonly median: number;
  readonly p95: number;
  /** CPU time of this process per render (user + system): what the render costs when the
   * machine is busy and the wall clock also counts waiting for a core. */
  readonly cpuMedian: number;
  readonly objects: number;
}

function time(spec: MeshConfigSpec): Timing {
  const objects = render(spec).length; // warm-up: compiles templates, fills caches
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const cpuStart = process.cpuUsage();
    const started = process.hrtime.bigint();
    render(spec);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  const p95 = samples[Math.floor(samples.length * 0.95)] ?? 0;
  return { median: median(samples), p95, cpuMedian: median(cpu), objects };
}

const production = valid(
  (
    parse(readFileSync(new URL("../config/samples/production.yaml", import.meta.url), "utf8")) as {
      spec: unknown;
    }
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

const rows: string[][] = [];
const row = (label: string, spec: MeshConfigSpec) => {
  const t = time(spec);
  rows.push([
    label,
    String(t.objects),
    `${t.median.toFixed(2)} ms`,
    `${t.p95.toFixed(2)} ms`,
    `${t.cpuMedian.toFixed(2)} ms`,
    `${((t.median / t.objects) * 1000).toFixed(0)} µs`,
  ]);
};
row("production sample (2 gateways)", production);
for (const count of [0, 10, 25, 50]) row(`${count} gateways`, withGateways(count));

printTable(
  `Render time, warm (${iterations} iterations each; Node ${process.version}; ${cpus().length} cores; load average ${loadavg()[0]?.toFixed(2) ?? "?"})`,
  ["MeshConfig", "objects", "median", "p95", "CPU median", "per object"],
  rows,
  `npm run bench:render -- --iterations ${iterations}`,
);
