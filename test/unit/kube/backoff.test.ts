/**
 * The watch backoff's arithmetic with client-go's reflector defaults, on a clock and a
 * random source the test controls.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Backoff, CLIENT_GO_BACKOFF } from "../../../operator/kube/backoff.ts";

function controlled(random = 0) {
  const state = { now: 0, random };
  const backoff = new Backoff({}, { now: () => state.now, random: () => state.random });
  return { state, backoff };
}

describe("watch backoff", () => {
  it("doubles from 800 ms to the 30 s cap", () => {
    const { backoff } = controlled(0);
    const delays = Array.from({ length: 8 }, () => backoff.failed());
    expect(delays).toEqual([800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000]);
  });

  it("adds up to one base of jitter: capped, the delay is in [30 s, 60 s)", () => {
    const { state, backoff } = controlled(0.999);
    const delays = Array.from({ length: 10 }, () => backoff.failed());
    expect(delays[0]).toBeCloseTo(800 * 1.999);
    expect(delays.at(-1)).toBeCloseTo(30_000 * 1.999);
    state.random = 0.5;
    expect(backoff.failed()).toBe(45_000);
  });

  it("starts again from 800 ms after 2 minutes without a failure, not before", () => {
    const { state, backoff } = controlled(0);
    for (let i = 0; i < 5; i += 1) backoff.failed();
    state.now += CLIENT_GO_BACKOFF.resetAfterMs;
    expect(backoff.failed()).toBe(25_600);
    state.now += CLIENT_GO_BACKOFF.resetAfterMs + 1;
    expect(backoff.failed()).toBe(800);
  });

  it("keeps failing servers at the cap: no burst of quick retries every 2 minutes", () => {
    const { state, backoff } = controlled(0);
    const delays: number[] = [];
    // Fail without pause for ten minutes, each retry after the delay it was given.
    while (state.now < 600_000) {
      const delay = backoff.failed();
      delays.push(delay);
      state.now += delay;
    }
    expect(delays.slice(7).every((d) => d === 30_000)).toBe(true);
  });

  it("never waits less than the base or more than twice the cap, whatever the draws", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { maxLength: 40 }),
        (draws) => {
          const state = { now: 0 };
          let i = 0;
          const backoff = new Backoff({}, { now: () => state.now, random: () => draws[i++] ?? 0 });
          let base = CLIENT_GO_BACKOFF.initialMs;
          for (let n = 0; n < draws.length; n += 1) {
            const delay = backoff.failed();
            expect(delay).toBeGreaterThanOrEqual(base);
            expect(delay).toBeLessThan(2 * CLIENT_GO_BACKOFF.capMs);
            base = Math.min(CLIENT_GO_BACKOFF.capMs, base * 2);
          }
        },
      ),
    );
  });

  it("refuses a policy that would not back off, naming the fields", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs > 0.*got initialMs 0/);
    expect(() => new Backoff({ capMs: 100 })).toThrow(/capMs >= initialMs/);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor >= 1/);
    expect(() => new Backoff({ resetAfterMs: 0 })).toThrow(/resetAfterMs must be > 0/);
  });
});
