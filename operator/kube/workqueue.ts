/**
 * A workqueue of keys with controller-runtime's contract, on top of p-queue (which runs
 * tasks with bounded concurrency but knows nothing of keys):
 *   - a key queued twice runs once (dedupe);
 *   - a key never runs twice at the same time; added while running, it runs again after;
 *   - a failed run is retried with exponential backoff and jitter, per key;
 *   - a run may ask to be requeued after a delay (periodic checks);
 *   - shutdown stops new runs, waits for the running ones and cancels every timer.
 * Level-based: a key carries no event, the reconciler reads the current state itself.
 */
import PQueue from "p-queue";

export interface ReconcileResult {
  /** Run this key again after this many milliseconds (even if nothing changes). */
  readonly requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | undefined>;

export interface WorkqueueOptions {
  readonly concurrency?: number;
  /** First retry delay after a failure; doubles per consecutive failure. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Fraction of the delay added at random, so many failing keys do not retry in step. */
  readonly jitter?: number;
  readonly random?: () => number;
  readonly onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export class Workqueue {
  private readonly executor: PQueue;
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while running: they run again once the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly reconcile: Reconciler;
  private readonly options: Required<Omit<WorkqueueOptions, "onError">>;
  private readonly onError: WorkqueueOptions["onError"];
  private shuttingDown = false;

  constructor(reconcile: Reconciler, options: WorkqueueOptions = {}) {
    this.reconcile = reconcile;
    this.options = {
      concurrency: options.concurrency ?? 1,
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 60_000,
      jitter: options.jitter ?? 0.2,
      random: options.random ?? Math.random,
    };
    this.onError = options.onError;
    this.executor = new PQueue({ concurrency: this.options.concurrency });
  }

  /** Keys waiting to run (not counting running or delayed ones). */
  get depth(): number {
    return this.queued.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    void this.executor.add(() => this.run(key));
  }

  /** Adds the key after a delay; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  /** The delay before the next retry of a key that has failed `failures` times in a row. */
  backoffMs(failures: number): number {
    const { baseDelayMs, maxDelayMs, jitter, random } = this.options;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, failures - 1));
    return Math.round(Math.min(maxDelayMs, exponential * (1 + jitter * random())));
  }

  private async run(key: string): Promise<void> {
    this.queued.delete(key);
    this.running.add(key);
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = this.backoffMs(failures);
      this.onError?.(key, error, delay);
      this.addAfter(key, delay);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }

  /** Stops taking keys, cancels delayed ones and waits for running reconciles to finish. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.executor.clear();
    this.queued.clear();
    this.dirty.clear();
    await this.executor.onIdle();
  }
}
