/** The tables of bench/operator.ts, and the targets with PASS or FAIL. */
import { cpus, loadavg } from "node:os";
import { KUBERNETES_VERSION } from "../operator/local/components.ts";
import type { Scrape } from "./operator-process.ts";
import { median, printTable, seconds } from "./table.ts";

export interface Floor {
  readonly objects: number;
  readonly applyMs: number;
  readonly availableMs: number;
  readonly passes: number;
  readonly requests: ReadonlyMap<string, number>;
}

export interface Cold {
  readonly reconciledMs: number;
  readonly readyMs: number;
  readonly steadyMs: number;
  readonly objects: number;
  /** Objects of each kind the MeshConfig renders to. */
  readonly kinds: ReadonlyMap<string, number>;
  /** Writes since the MeshConfig was applied: at Ready, and once the autoscalers acted. */
  readonly atReady: Scrape;
  readonly atSteady: Scrape;
}

export interface NoOp {
  readonly reconciles: number;
  readonly writes: number;
  /** The operator's API requests over the run, by verb. */
  readonly requests: ReadonlyMap<string, number>;
  readonly durationsMs: readonly number[];
  /** The process's CPU time per reconcile (meshkeeper_reconcile_cpu_seconds). */
  readonly cpuMs: readonly number[];
  /** The 1-minute load average while they ran: lowest and highest. */
  readonly loadAverage: readonly [number, number];
}

export interface Drift {
  readonly latenciesMs: readonly number[];
  /** The operator's writes over the whole drift run. */
  readonly writes: Scrape;
}

export interface MemoryRow {
  readonly state: string;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly note: string;
  /** Set on the rows after a change to N gateways. */
  readonly gateways?: number;
}

export interface Results {
  readonly floor: Floor;
  readonly cold: Cold;
  readonly noOp: NoOp;
  readonly drift: Drift;
  readonly memory: readonly MemoryRow[];
  readonly command: string;
  readonly readyBeforeMesh: boolean;
  readonly problems: ReadonlyMap<string, number>;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const mib = (value: number) => `${value.toFixed(0)} MiB`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** Kinds written more often than they have objects, e.g. "Deployment +1". */
function extraWrites(cold: Cold, writes: Scrape): string {
  return [...writes.writesByKind]
    .filter(([kind]) => !kind.startsWith("MeshConfig"))
    .map(([kind, n]) => [kind, n - (cold.kinds.get(kind) ?? 0)] as const)
    .filter(([, extra]) => extra > 0)
    .map(([kind, extra]) => `${kind} +${extra}`)
    .join(", ");
}

/** Writes by kind, e.g. "Service 20, MeshConfig/status 2". */
function byKind(writes: Scrape): string {
  return [...writes.writesByKind]
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
}

function coldTable({ floor, cold }: Results, reproduce: string): void {
  const reads = floor.requests.get("GET") ?? 0;
  const floorWrites = [...floor.requests]
    .filter(([verb]) => verb !== "GET")
    .reduce((sum, [, n]) => sum + n, 0);
  const perObject = (writes: number, objects: number) => (writes / objects).toFixed(2);
  const meshWrites = (s: Scrape) => s.writes - s.objectWrites;
  printTable(
    `Cold converge of config/samples/production.yaml (${floor.objects} rendered objects; the operator also creates the 2 CA Secrets), a fresh cluster for each path`,
    ["path", "applied", "Deployments Available", "object writes", "per object", "notes"],
    [
      [
        "floor: kubectl apply --server-side",
        seconds(floor.applyMs),
        seconds(floor.availableMs),
        String(floorWrites),
        perObject(floorWrites, floor.objects),
        `CRDs, wait Established, ${floor.passes} pass(es) for the rest; ${reads} GETs`,
      ],
      [
        "operator, at Ready",
        `${seconds(cold.reconciledMs)} (Reconciled)`,
        `${seconds(cold.readyMs)} (Ready)`,
        String(cold.atReady.objectWrites),
        perObject(cold.atReady.objectWrites, cold.objects),
        `+ ${meshWrites(cold.atReady)} MeshConfig metadata/status writes`,
      ],
      [
        "operator, autoscalers at minReplicas",
        "",
        seconds(cold.steadyMs),
        String(cold.atSteady.objectWrites),
        perObject(cold.atSteady.objectWrites, cold.objects),
        `+ ${meshWrites(cold.atSteady)} MeshConfig; extra: ${extraWrites(cold, cold.atSteady) || "none"}`,
      ],
      [
        "operator / floor",
        `${(cold.reconciledMs / floor.applyMs).toFixed(2)}x`,
        `${(cold.readyMs / floor.availableMs).toFixed(2)}x`,
        "",
        "",
        "",
      ],
    ],
    reproduce,
  );
}

function memoryTable(r: Results, reproduce: string): void {
  const idle = r.memory.find((m) => m.state.startsWith("idle"))?.rssMiB ?? 0;
  printTable(
    `Operator resident memory (VmRSS of the pid running: ${r.command}; load average ${loadavg()[0]?.toFixed(2) ?? "?"} at the end: memory is not CPU-bound, times are)`,
    ["state", "RSS", "vs idle", "heap used", "heap total", "note"],
    r.memory.map((m) => [
      m.state,
      mib(m.rssMiB),
      `${m.rssMiB >= idle ? "+" : "-"}${mib(Math.abs(m.rssMiB - idle))}`,
      mib(m.heapUsedMiB),
      mib(m.heapTotalMiB),
      m.note,
    ]),
    reproduce,
  );
}

/**
 * MiB per gateway from the row before the first gateway change to it, and from there to
 * the last one: linear means the second is no larger than the first (within noise). Judged
 * on the live heap, which is what each gateway adds: resident memory moves in V8's and
 * malloc's steps of a MiB or more, which 18 gateways cannot resolve (it is printed too).
 */
function perGateway(memory: readonly MemoryRow[]) {
  const withGateways = memory.filter((m) => m.gateways !== undefined);
  const [first, last] = [withGateways[0], withGateways.at(-1)];
  if (!first || !last || first === last) return undefined;
  const before = memory[memory.indexOf(first) - 1];
  if (!before) return undefined;
  // The production sample itself has 2 gateways.
  const slope = (value: (m: MemoryRow) => number) => ({
    early: (value(first) - value(before)) / ((first.gateways ?? 0) - 2),
    late: (value(last) - value(first)) / ((last.gateways ?? 0) - (first.gateways ?? 0)),
  });
  return { heap: slope((m) => m.heapUsedMiB), rss: slope((m) => m.rssMiB), first, last };
}

function targetsTable({ cold, noOp, drift, memory, floor }: Results, reproduce: string): void {
  const ratio = cold.reconciledMs / floor.applyMs;
  const noOpP95 = percentile(noOp.durationsMs, 0.95);
  const noOpCpuP95 = percentile(noOp.cpuMs, 0.95);
  const driftP50 = median(drift.latenciesMs);
  const slope = perGateway(memory);
  // Throughout: every row, the largest gateway count the API allows included.
  const peak = Math.max(...memory.map((m) => m.rssMiB));
  const linear = slope ? slope.heap.late <= Math.max(slope.heap.early, 0) * 1.5 + 0.02 : false;
  const slopeText = slope
    ? `heap ${slope.heap.early.toFixed(3)} MiB/gateway to ${slope.first.gateways ?? 0}, ` +
      `${slope.heap.late.toFixed(3)} from there to ${slope.last.gateways ?? 0}; ` +
      `RSS ${slope.rss.early.toFixed(2)}, ${slope.rss.late.toFixed(2)} (${mib(slope.last.rssMiB)})`
    : "no gateway rows";
  printTable(
    "Targets",
    ["target", "measured", "result"],
    [
      [
        "cold converge (Reconciled) within 1.5x of the floor (kubectl)",
        `${ratio.toFixed(2)}x`,
        verdict(ratio <= 1.5),
      ],
      [
        "at most one write per object, through the autoscalers' first scale",
        `${cold.atSteady.objectWrites} for ${cold.objects} objects`,
        verdict(cold.atSteady.objectWrites <= cold.objects),
      ],
      ["no-op reconcile writes nothing", String(noOp.writes), verdict(noOp.writes === 0)],
      ["no-op reconcile p95 under 50 ms", ms(noOpP95), verdict(noOpP95 < 50)],
      [
        "no-op reconcile CPU p95 under 50 ms (what load does not change)",
        ms(noOpCpuP95),
        verdict(noOpCpuP95 < 50),
      ],
      ["drift repair p50 under 500 ms", ms(driftP50), verdict(driftP50 < 500)],
      [
        "resident memory under 100 MiB, throughout (every row above)",
        `${mib(peak)} peak`,
        verdict(peak < 100),
      ],
      [
        "memory per gateway stays linear (live heap no larger per gateway at the high end)",
        slopeText,
        verdict(linear),
      ],
    ],
    reproduce,
  );
}

export function report(r: Results, reproduce: string): void {
  const { noOp, drift } = r;
  coldTable(r, reproduce);
  printTable(
    `No-op reconciles: ${noOp.durationsMs.length} metadata touches (kubectl annotate), each waited for by the operator's log; wall and CPU time per reconcile from its histograms; load average ${noOp.loadAverage.map((l) => l.toFixed(1)).join("-")}`,
    ["reconciles", "writes", "p50", "p95", "max", "CPU p50", "CPU p95", "API requests each"],
    [
      [
        String(noOp.reconciles),
        String(noOp.writes),
        ms(median(noOp.durationsMs)),
        ms(percentile(noOp.durationsMs, 0.95)),
        ms(Math.max(...noOp.durationsMs)),
        ms(median(noOp.cpuMs)),
        ms(percentile(noOp.cpuMs, 0.95)),
        [...noOp.requests]
          .filter(([, n]) => n > 0)
          .map(([verb, n]) => `${verb} ${(n / Math.max(noOp.reconciles, 1)).toFixed(2)}`)
          .join(", "),
      ],
    ],
    reproduce,
  );
  printTable(
    `Drift repair: istio-system/istiod Service deleted ${drift.latenciesMs.length} times; from the DELETE's response until a GET finds the new Service (polled every 5 ms)`,
    ["repairs", "p50", "p95", "max", "operator writes", "by kind"],
    [
      [
        String(drift.latenciesMs.length),
        ms(median(drift.latenciesMs)),
        ms(percentile(drift.latenciesMs, 0.95)),
        ms(Math.max(...drift.latenciesMs)),
        String(drift.writes.writes),
        byKind(drift.writes),
      ],
    ],
    reproduce,
  );
  memoryTable(r, reproduce);
  targetsTable(r, reproduce);
  console.log(
    `\nmachine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), Node ${process.version}, Kubernetes ${KUBERNETES_VERSION} (local control plane, KWOK nodes); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `operator /readyz before any MeshConfig existed: ${r.readyBeforeMesh ? "200" : "not ready (waits for Istio's kinds to be served)"}`,
  );
  console.log("operator warnings and errors over the whole run:");
  if (r.problems.size === 0) console.log("  none");
  for (const [problem, count] of r.problems) console.log(`  ${count} x ${problem}`);
}
