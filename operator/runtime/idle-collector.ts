/**
 * A full garbage collection once the operator goes quiet after work. V8 collects when it
 * allocates, not when it idles: after a reconcile burst the process sits on the pages of
 * everything the burst left behind (rendered text, parsed objects, request bodies) until
 * the next burst, and with 64 gateways that garbage was a third of the resident memory
 * (docs/footprint.md). One collection of the ~30 MiB live heap costs a few tens of
 * milliseconds of CPU and gives those pages back to the operating system.
 *
 * It asks V8 for its "last resort" flavour of a full collection (what V8 runs when an
 * allocation fails: repeated full GCs that reduce the footprint and compact every
 * fragmented page). The plain `gc()` frees the objects but leaves the pages where a few
 * survivors sit committed: after the 100-gateway burst V8's heap stayed at 30-32 MiB
 * committed for 22-25 MiB used, and the resident memory with it.
 *
 * Needs node's --expose-gc (OPERATOR_NODE_FLAGS, the image's command); without it (the
 * developer loop running the sources) this does nothing.
 */

export interface IdleCollectorOptions {
  /** How long nothing must happen before collecting. */
  readonly quietMs?: number;
  /** The collector to call; defaults to the global gc that --expose-gc installs. */
  readonly collect?: (() => void) | undefined;
}

/** The options of the `gc` that --expose-gc installs (V8's gc extension). */
interface GcOptions {
  readonly type: "major";
  readonly execution: "sync";
  readonly flavor: "last-resort";
}

function compactingCollector(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (!gc) return undefined;
  return () => {
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
  };
}

export class IdleCollector {
  private readonly quietMs: number;
  private readonly collect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private collections = 0;

  constructor(options: IdleCollectorOptions = {}) {
    this.quietMs = options.quietMs ?? 1_000;
    this.collect = "collect" in options ? options.collect : compactingCollector();
  }

  /** Whether collecting is possible at all (node started with --expose-gc). */
  get enabled(): boolean {
    return this.collect !== undefined;
  }

  /** How many collections ran (tests, metrics). */
  get count(): number {
    return this.collections;
  }

  /** Work happened: collect once nothing more has happened for quietMs. */
  poke(): void {
    const collect = this.collect;
    if (!collect) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collections += 1;
      collect();
    }, this.quietMs);
    // Never what keeps the process alive during shutdown.
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
