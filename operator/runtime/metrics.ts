/**
 * The operator's Prometheus metrics. Each instance owns its registry rather than using
 * prom-client's global one, so tests (and two managers in one process) never collide on
 * "metric already registered".
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type ReconcileOutcome = "success" | "error" | "requeue" | "stalled";
export type ApiWriteVerb = "apply" | "create" | "update" | "patch" | "delete";

const OUTCOMES: readonly ReconcileOutcome[] = ["success", "error", "requeue", "stalled"];

// A skip-everything reconcile takes about a millisecond; a first install that waits on
// CRDs and istiod can take tens of seconds.
const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<"result">;
  private readonly duration: Histogram;
  private readonly cpu: Histogram;
  private readonly queueDepth: Gauge;
  private readonly writes: Counter<"verb" | "kind">;
  private readonly watchRestarts: Counter<"kind">;
  private readonly relists: Counter<"kind">;
  private readonly requests: Counter<"verb">;
  private requestsSource: (() => ReadonlyMap<string, number>) | undefined;
  private readonly lastSuccess: Gauge;
  private queueDepthSource: (() => number) | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "meshkeeper_" });
    this.reconciles = new Counter({
      name: "meshkeeper_reconcile_total",
      help: "Reconciles finished, by result.",
      labelNames: ["result"],
      registers,
    });
    // Zero series from the start, so rate() and alerts work before the first error.
    for (const result of OUTCOMES) this.reconciles.labels(result).inc(0);
    this.duration = new Histogram({
      name: "meshkeeper_reconcile_duration_seconds",
      help: "Time taken by one reconcile, whatever its result.",
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.cpu = new Histogram({
      name: "meshkeeper_reconcile_cpu_seconds",
      help: "CPU time (user + system, the whole process) while one reconcile ran: unlike its duration, not waiting for a core or the API server.",
      buckets: DURATION_BUCKETS,
      registers,
    });
    const readDepth = (): number | undefined => this.queueDepthSource?.();
    this.queueDepth = new Gauge({
      name: "meshkeeper_workqueue_depth",
      help: "Keys waiting in the workqueue.",
      registers,
      collect() {
        const depth = readDepth();
        if (depth !== undefined) this.set(depth);
      },
    });
    this.writes = new Counter({
      name: "meshkeeper_api_writes_total",
      help: "Writes sent to the API server, by verb and kind.",
      labelNames: ["verb", "kind"],
      registers,
    });
    this.watchRestarts = new Counter({
      name: "meshkeeper_watch_restarts_total",
      help: "Watches restarted (expired, dropped or failed), by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.relists = new Counter({
      name: "meshkeeper_watch_relists_total",
      help: "Lists sent after a kind's first (410 Gone, or a failed list retried), by kind.",
      labelNames: ["kind"],
      registers,
    });
    const readRequests = () => this.requestsSource?.();
    this.requests = new Counter({
      name: "meshkeeper_api_requests_total",
      help: "Requests sent to the API server, by verb (WATCH: watch requests).",
      labelNames: ["verb"],
      registers,
      collect() {
        const counts = readRequests();
        if (!counts) return;
        this.reset();
        for (const [verb, count] of counts) this.labels(verb).inc(count);
      },
    });
    this.lastSuccess = new Gauge({
      name: "meshkeeper_last_successful_reconcile_timestamp_seconds",
      help: "Unix time of the last successful reconcile; 0 if none yet.",
      registers,
    });
  }

  observeReconcile(result: ReconcileOutcome, seconds: number, cpuSeconds?: number): void {
    this.reconciles.labels(result).inc();
    this.duration.observe(seconds);
    if (cpuSeconds !== undefined) this.cpu.observe(cpuSeconds);
    if (result === "success") this.lastSuccess.setToCurrentTime();
  }

  countWrite(verb: ApiWriteVerb, kind: string): void {
    this.writes.labels(verb, kind).inc();
  }

  countWatchRestart(kind: string): void {
    this.watchRestarts.labels(kind).inc();
  }

  countRelist(kind: string): void {
    this.relists.labels(kind).inc();
  }

  /** Reads the REST client's request counts at scrape time (they live in the client). */
  trackRequests(read: () => ReadonlyMap<string, number>): void {
    this.requestsSource = read;
  }

  setQueueDepth(depth: number): void {
    this.queueDepth.set(depth);
  }

  /** Reads the depth at scrape time, so the gauge is never stale between events. */
  trackQueueDepth(read: () => number): void {
    this.queueDepthSource = read;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
