/**
 * Render time: the production sample, cold and warm, and MeshConfigs with more gateways,
 * in one child node process per node flag set (one after the other, never two at once),
 * side by side in one table: default flags, the operator's (OPERATOR_NODE_FLAGS), and any
 * candidate flag sets given with --node-flags.
 *
 * Warm renders the same spec every time, so what the renderer remembers between renders
 * (yaml-text.ts: the injector config's and mesh config's YAML) is reused: what the
 * operator sees when a spec change leaves the proxy and mesh settings alone (a gateway, a
 * replica count). Cold renders a spec that differs from every earlier one in the proxy's
 * CPU request and the mesh config, which every remembered text depends on: what the
 * operator sees on its first render and when those settings change.
 *
 * Wall-clock times count waiting for a core on a busy machine; the CPU columns
 * (process.cpuUsage() around each render) count only this process's work, so they are the
 * figures to compare between runs at different loads. The load average is printed beside;
 * "peak RSS" is the child's VmHWM (all of its renders), a hint of what a flag set costs in
 * memory, not the operator's (bench:operator measures that).
 * Run: npm run bench:render [-- --iterations N] [--gateways 10,50] [--node-flags="--a --b"]...
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
    gateways: { type: "string", default: "50" },
    "node-flags": { type: "string", multiple: true, default: [] },
    // Internal: this process is one of the measured children; print rows as JSON.
    child: { type: "boolean", default: false },
  },
});
const iterations = Number(values.iterations);
const gatewayCounts = values.gateways
  .split(",")
  .filter((count) => count !== "")
  .map(Number);
const WARM_UP = 10;

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

/** Times render() of specs(i) for i in 0..iterations, after WARM_UP renders before 0. */
function time(label: string, specs: (i: number) => MeshConfigSpec): Timing {
  const objects = render(specs(-WARM_UP - 1)).length; // compiles the templates
  for (let i = -WARM_UP; i < 0; i += 1) render(specs(i)); // and fills the caches
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const spec = specs(i);
    const cpuStart = process.cpuUsage();
    const started = process.hrtime.bigint();
    render(spec);
    wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { label, objects, wall, cpu };
}

type Spec = Record<string, unknown> & {
  meshConfig: Record<string, unknown>;
  sidecarInjector: { proxy: { resources: { requests: object } } };
};

/** The production sample with a proxy CPU request and mesh config of its own for each k. */
function coldVariant(production: Spec, k: number): unknown {
  const { sidecarInjector, meshConfig } = production;
  const { proxy } = sidecarInjector;
  const requests = { ...proxy.resources.requests, cpu: `${100 + (k % 900)}m` };
  return {
    ...production,
    meshConfig: { ...meshConfig, discoverySelectors: [{ matchLabels: { cold: String(k) } }] },
    sidecarInjector: {
      ...sidecarInjector,
      proxy: { ...proxy, resources: { ...proxy.resources, requests } },
    },
  };
}

function measureHere(): Timing[] {
  const sample = readFileSync(
    new URL("../config/samples/production.yaml", import.meta.url),
    "utf8",
  );
  const raw = (parse(sample) as { spec: Spec }).spec;
  const production = valid(raw);
  const cold = Array.from({ length: iterations + WARM_UP + 1 }, (_, i) =>
    valid(coldVariant(raw, i)),
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
    time("production sample (2 gateways), cold", (i) => cold[i + WARM_UP + 1] ?? production),
    time("production sample (2 gateways), warm", () => production),
    ...gatewayCounts.map((count) => {
      const spec = withGateways(count);
      return time(`${count} gateways, warm`, () => spec);
    }),
  ];
}

/** This process's peak resident memory (VmHWM), in MiB. */
function peakRss(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match?.[1] ?? 0) / 1024;
}

/** One child node per flag set, one after the other (never two at once on the cores). */
function measureIn(flags: readonly string[]): { timings: Timing[]; peakRss: number } {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [
      ...flags,
      script,
      "--child",
      "--iterations",
      String(iterations),
      "--gateways",
      values.gateways,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`bench:render child failed:\n${child.stderr}`);
  return JSON.parse(child.stdout) as { timings: Timing[]; peakRss: number };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

if (values.child) {
  const timings = measureHere();
  process.stdout.write(JSON.stringify({ timings, peakRss: peakRss() }));
} else {
  const variants = [
    { name: "default", flags: [] as readonly string[] },
    { name: "operator", flags: OPERATOR_NODE_FLAGS },
    ...values["node-flags"].map((flags, i) => ({
      name: `candidate ${i + 1}`,
      flags: flags.split(" ").filter((flag) => flag !== ""),
    })),
  ];
  const loadBefore = loadavg()[0] ?? 0;
  const runs = variants.map((variant) => ({ ...variant, ...measureIn(variant.flags) }));
  const loadAfter = loadavg()[0] ?? 0;
  const rows = runs.flatMap(({ name, timings, peakRss: rss }) =>
    timings.map((t) => [
      t.label,
      name,
      String(t.objects),
      ms(median(t.wall)),
      ms(quantile(t.wall, 0.95)),
      ms(median(t.cpu)),
      ms(quantile(t.cpu, 0.95)),
      `${((median(t.cpu) / t.objects) * 1000).toFixed(0)} µs`,
      `${rss.toFixed(1)} MiB`,
    ]),
  );
  const legend = variants.map((v) => `${v.name} = ${v.flags.join(" ") || "none"}`).join("; ");
  const extra = values["node-flags"].map((flags) => ` --node-flags="${flags}"`).join("");
  printTable(
    `Render time (${iterations} iterations each; node flags: ${legend}; Node ${process.version}; ${cpus().length} cores; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after)`,
    [
      "MeshConfig",
      "node flags",
      "objects",
      "wall p50",
      "wall p95",
      "CPU p50",
      "CPU p95",
      "CPU per object",
      "peak RSS",
    ],
    rows,
    `npm run bench:render -- --iterations ${iterations} --gateways ${values.gateways}${extra}`,
  );
}
