/** The tables of bench/soak.ts, with PASS or FAIL for each target. */
import { cpus, loadavg } from "node:os";
import { percentile } from "./operator-report.ts";
import type { Scrape } from "./operator-process.ts";
import type { EditOutcome } from "./soak-convergence.ts";
import { median, printTable, seconds } from "./table.ts";

export interface Sample {
  /** Milliseconds since the soak began. */
  readonly atMs: number;
  readonly rssMiB: number;
  readonly scrape: Scrape;
}

export interface SoakResult {
  readonly soakMs: number;
  /** How long each API server restart kept it away (stop, start, /readyz). */
  readonly downtimesMs: readonly number[];
  readonly namespaces: { readonly created: number; readonly deleted: number };
  /** Every edit: its generation, when it was made and when it converged. */
  readonly edited: readonly EditOutcome[];
  /** Edits not converged yet when the soak's restarts stopped. */
  readonly unsettledAtEnd: number;
  readonly samples: readonly Sample[];
  /** Two scrapes 30 s apart after the soak, the API server left alone. */
  readonly quiet: { readonly from: Scrape; readonly to: Scrape; readonly seconds: number };
  readonly problems: ReadonlyMap<string, number>;
  readonly maxRps: number;
  readonly edits: number;
  readonly namespaceTarget: number;
}

function totalRequests(scrape: Scrape): number {
  return [...scrape.requestsByVerb.values()].reduce((a, b) => a + b, 0);
}

/** Requests per second between consecutive samples. */
function windowRates(samples: readonly Sample[]): number[] {
  return samples.slice(1).map((sample, i) => {
    const previous = samples[i];
    if (!previous) return 0;
    const elapsed = (sample.atMs - previous.atMs) / 1000;
    return (totalRequests(sample.scrape) - totalRequests(previous.scrape)) / elapsed;
  });
}

/** Least-squares slope of RSS over time, in MiB per hour. */
function rssSlopePerHour(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.atMs / 3_600_000);
  const ys = samples.map((s) => s.rssMiB);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const cov = xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] ?? 0) - my), 0);
  const varX = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return varX === 0 ? 0 : cov / varX;
}

const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const mib = (value: number) => `${value.toFixed(1)} MiB`;

function sampleTable(samples: readonly Sample[], rates: readonly number[]): string[][] {
  // At most about 30 rows, evenly spread, the last sample always shown.
  const step = Math.max(1, Math.ceil(samples.length / 30));
  return samples
    .map((sample, i) => ({ sample, i }))
    .filter(({ i }) => i % step === 0 || i === samples.length - 1)
    .map(({ sample, i }) => {
      const first = samples[0]?.scrape;
      const verbs = [...sample.scrape.requestsByVerb]
        .map(([verb, n]) => `${verb} ${n - (first?.requestsByVerb.get(verb) ?? 0)}`)
        .join(", ");
      return [
        `${Math.round(sample.atMs / 1000)} s`,
        mib(sample.rssMiB),
        mib(sample.scrape.heapUsedMiB),
        i === 0 ? "" : (rates[i - 1] ?? 0).toFixed(1),
        verbs,
        String(sample.scrape.watchRestarts - (first?.watchRestarts ?? 0)),
        String(sample.scrape.relists - (first?.relists ?? 0)),
        String(sample.scrape.reconciles - (first?.reconciles ?? 0)),
      ];
    });
}

/** RSS after the first quarter (warm-up) against the last quarter: medians. */
function memoryGrowth(samples: readonly Sample[]) {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const early = median(samples.slice(quarter, 2 * quarter).map((s) => s.rssMiB));
  const late = median(samples.slice(-quarter).map((s) => s.rssMiB));
  return { early, late, grew: late - early, slope: rssSlopePerHour(samples.slice(quarter)) };
}

interface Figures {
  readonly rates: readonly number[];
  readonly peakRps: number;
  readonly meanRps: number;
  readonly restarts: number;
  readonly relists: number;
  readonly quietRps: number;
  readonly quietReconciles: number;
  readonly memory: ReturnType<typeof memoryGrowth>;
  readonly checks: Readonly<
    Record<"churned" | "converged" | "bounded" | "quiet" | "flat", boolean>
  >;
}

function figuresOf(result: SoakResult): Figures {
  const { samples, quiet } = result;
  const rates = windowRates(samples);
  const peakRps = Math.max(0, ...rates);
  const first = samples[0]?.scrape;
  const last = samples.at(-1)?.scrape;
  const delta = (read: (scrape: Scrape) => number) =>
    first && last ? read(last) - read(first) : 0;
  const quietRps = (totalRequests(quiet.to) - totalRequests(quiet.from)) / quiet.seconds;
  const memory = memoryGrowth(samples);
  return {
    rates,
    peakRps,
    meanRps: delta(totalRequests) / (result.soakMs / 1000),
    restarts: delta((s) => s.watchRestarts),
    relists: delta((s) => s.relists),
    quietRps,
    quietReconciles: quiet.to.reconciles - quiet.from.reconciles,
    memory,
    checks: {
      churned:
        result.namespaces.created === result.namespaceTarget &&
        result.namespaces.deleted === result.namespaceTarget,
      converged:
        result.edited.length === result.edits &&
        result.edited.every((e) => e.convergedAt !== undefined),
      bounded: peakRps <= result.maxRps,
      quiet: quietRps < 1,
      // Growth within 10 % (and at least 10 MiB, the collector's own swing) counts as flat.
      flat: memory.grew <= Math.max(10, memory.early * 0.1),
    },
  };
}

function summaryRows(result: SoakResult, f: Figures): string[][] {
  const { downtimesMs, edited } = result;
  const convergeMs = edited.flatMap((e) =>
    e.convergedAt === undefined ? [] : [e.convergedAt - e.editedAt],
  );
  const exact = edited.filter((e) => e.exact === true).length;
  const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)}`;
  return [
    ["soak", seconds(result.soakMs), ""],
    [
      "API server restarts",
      `${downtimesMs.length}; down p50 ${seconds(median(downtimesMs))}, max ${seconds(Math.max(0, ...downtimesMs))}`,
      "",
    ],
    [
      "namespaces created / deleted",
      `${result.namespaces.created} / ${result.namespaces.deleted}`,
      verdict(f.checks.churned),
    ],
    [
      "MeshConfig edits converged (Reconciled + Ready)",
      `${convergeMs.length} / ${result.edits} (${exact} at their own generation, ${result.unsettledAtEnd} after the restarts stopped); p50 ${seconds(median(convergeMs))}, p95 ${seconds(percentile(convergeMs, 0.95))}, max ${seconds(Math.max(0, ...convergeMs))}`,
      verdict(f.checks.converged),
    ],
    [
      "request rate, busiest sample window",
      `${f.peakRps.toFixed(1)} req/s (bound ${result.maxRps}); mean ${f.meanRps.toFixed(2)} req/s`,
      verdict(f.checks.bounded),
    ],
    ["watch restarts / relists during the soak", `${f.restarts} / ${f.relists}`, ""],
    [
      `idle afterwards (${result.quiet.seconds} s, API server left alone)`,
      `${f.quietRps.toFixed(2)} req/s, ${f.quietReconciles} reconciles`,
      verdict(f.checks.quiet),
    ],
    [
      "RSS after warm-up -> last quarter (medians)",
      `${mib(f.memory.early)} -> ${mib(f.memory.late)} (${signed(f.memory.grew)} MiB; slope ${f.memory.slope.toFixed(1)} MiB/h)`,
      verdict(f.checks.flat),
    ],
  ];
}

/** Prints the tables; returns whether every target passed. */
export function report(result: SoakResult, reproduce: string): boolean {
  const figures = figuresOf(result);
  printTable(
    `Soak samples (${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1) ?? "?"})`,
    [
      "t",
      "RSS",
      "heap used",
      "req/s",
      "requests so far",
      "watch restarts",
      "relists",
      "reconciles",
    ],
    sampleTable(result.samples, figures.rates),
    reproduce,
  );
  printTable(
    "Soak summary",
    ["check", "result", "target"],
    summaryRows(result, figures),
    reproduce,
  );
  const problems = [...result.problems].sort((a, b) => b[1] - a[1]).slice(0, 8);
  if (problems.length > 0) {
    printTable(
      "Operator warnings and errors logged (most frequent first)",
      ["count", "message"],
      problems.map(([message, count]) => [String(count), message.slice(0, 160)]),
      reproduce,
    );
  }
  return Object.values(figures.checks).every(Boolean);
}
