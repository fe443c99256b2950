/**
 * The retry delay of a watch, with client-go's reflector defaults (tools/cache/reflector.go:
 * 800 ms doubling to a 30 s cap, jitter 1.0, reset after 2 minutes): the base delay
 * doubles at each failure up to the cap, and each wait adds up to `jitter` times the base
 * at random, so many clients that failed together do not retry together. Capped, the
 * delay sits in [30 s, 60 s), about 0.02 requests per second per watch.
 *
 * One difference from client-go, on purpose: client-go resets its backoff every 2 minutes
 * whatever happened meanwhile, so a server that fails without pause still gets a burst of
 * quick retries every 2 minutes; here the reset needs 2 minutes without a failure.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly capMs: number;
  readonly factor: number;
  /** Each delay is base × (1 + jitter × random): 1.0 spreads it over [base, 2 × base). */
  readonly jitter: number;
  /** This long without a failure and the next delay starts from initialMs again. */
  readonly resetAfterMs: number;
}

export const CLIENT_GO_BACKOFF: BackoffPolicy = {
  initialMs: 800,
  capMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
};

export interface BackoffClock {
  readonly now: () => number;
  /** A number in [0, 1). */
  readonly random: () => number;
}

const SYSTEM_CLOCK: BackoffClock = { now: () => Date.now(), random: () => Math.random() };

export class Backoff {
  private readonly policy: BackoffPolicy;
  private readonly clock: BackoffClock;
  private baseMs: number;
  private lastFailureAt: number | undefined;

  constructor(policy: Partial<BackoffPolicy> = {}, clock: BackoffClock = SYSTEM_CLOCK) {
    this.policy = { ...CLIENT_GO_BACKOFF, ...policy };
    const { initialMs, capMs, factor, jitter, resetAfterMs } = this.policy;
    if (!(initialMs > 0) || !(capMs >= initialMs) || !(factor >= 1) || !(jitter >= 0)) {
      throw new Error(
        `backoff: need initialMs > 0, capMs >= initialMs, factor >= 1, jitter >= 0 ` +
          `(got initialMs ${initialMs}, capMs ${capMs}, factor ${factor}, jitter ${jitter})`,
      );
    }
    if (!(resetAfterMs > 0)) throw new Error(`backoff: resetAfterMs must be > 0 (${resetAfterMs})`);
    this.clock = clock;
    this.baseMs = initialMs;
  }

  /** Records a failure and says how long to wait before the next attempt. */
  failed(): number {
    const now = this.clock.now();
    const healthySince = this.lastFailureAt === undefined ? 0 : now - this.lastFailureAt;
    if (this.lastFailureAt === undefined || healthySince > this.policy.resetAfterMs) {
      this.baseMs = this.policy.initialMs;
    }
    this.lastFailureAt = now;
    const base = this.baseMs;
    this.baseMs = Math.min(this.policy.capMs, base * this.policy.factor);
    return base + this.clock.random() * this.policy.jitter * base;
  }
}
