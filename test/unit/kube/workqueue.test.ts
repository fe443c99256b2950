import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Workqueue } from "../../../operator/kube/workqueue.ts";

/** A reconciler that records runs and can be held open until released. */
function recorder() {
  const runs: string[] = [];
  let active = 0;
  let maxActive = 0;
  const gates: (() => void)[] = [];
  const reconcile = async (key: string) => {
    runs.push(key);
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active -= 1;
    return undefined;
  };
  const releaseAll = async () => {
    while (gates.length > 0) gates.shift()?.();
    await sleep(0);
  };
  return { runs, reconcile, releaseAll, maxActive: () => maxActive };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("workqueue", () => {
  it("runs a key queued many times once", async () => {
    const { runs, reconcile, releaseAll } = recorder();
    const queue = new Workqueue(reconcile);
    queue.add("busy"); // takes the only worker, so "a" waits in the queue
    queue.add("a");
    queue.add("a");
    queue.add("a");
    expect(queue.depth).toBe(1);
    await releaseAll();
    await releaseAll();
    expect(runs).toEqual(["busy", "a"]);
    await queue.shutdown();
  });

  it("never runs one key twice at once, and runs it again if added meanwhile", async () => {
    const { runs, reconcile, releaseAll, maxActive } = recorder();
    const queue = new Workqueue(reconcile, { concurrency: 4 });
    queue.add("a");
    await sleep(0);
    queue.add("a"); // while running: marked dirty
    queue.add("a");
    await sleep(0);
    expect(runs).toEqual(["a"]);
    await releaseAll();
    await sleep(0);
    expect(runs).toEqual(["a", "a"]);
    expect(maxActive()).toBe(1);
    await releaseAll();
    await queue.shutdown();
  });

  it("runs different keys in parallel up to the concurrency", async () => {
    const { runs, reconcile, releaseAll, maxActive } = recorder();
    const queue = new Workqueue(reconcile, { concurrency: 2 });
    for (const key of ["a", "b", "c"]) queue.add(key);
    await sleep(0);
    expect(runs).toEqual(["a", "b"]);
    expect(queue.depth).toBe(1);
    await releaseAll();
    await sleep(0);
    expect(runs).toEqual(["a", "b", "c"]);
    expect(maxActive()).toBe(2);
    await releaseAll();
    await queue.shutdown();
  });

  it("backs off exponentially with jitter, capped", () => {
    const queue = new Workqueue(() => Promise.resolve(undefined), {
      baseDelayMs: 100,
      maxDelayMs: 1000,
      jitter: 0.5,
      random: () => 1,
    });
    expect([1, 2, 3, 4, 5].map((n) => queue.backoffMs(n))).toEqual([150, 300, 600, 1000, 1000]);
    const noJitter = new Workqueue(() => Promise.resolve(undefined), {
      baseDelayMs: 100,
      random: () => 0,
    });
    expect(noJitter.backoffMs(3)).toBe(400);
  });

  it("retries a failing key after its backoff, and forgets failures after a success", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const errors: number[] = [];
    const queue = new Workqueue(
      () => {
        calls += 1;
        return calls <= 2
          ? Promise.reject(new Error("API server unavailable"))
          : Promise.resolve(undefined);
      },
      { baseDelayMs: 100, jitter: 0, onError: (_key, _error, retryIn) => errors.push(retryIn) },
    );
    queue.add("mesh");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(3);
    expect(errors).toEqual([100, 200]);
    expect(queue.backoffMs(1)).toBe(100);
    await queue.shutdown();
  });

  it("requeues after the delay a run asks for, keeping the earliest of several", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const queue = new Workqueue(() => {
      calls += 1;
      return Promise.resolve(calls === 1 ? { requeueAfterMs: 5000 } : undefined);
    });
    queue.add("mesh");
    await vi.advanceTimersByTimeAsync(0);
    queue.addAfter("mesh", 10_000); // later than the pending 5 s: ignored
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls).toBe(2);
    await queue.shutdown();
  });

  it("on shutdown waits for running work and cancels delayed keys", async () => {
    vi.useFakeTimers();
    let finished = false;
    const queue = new Workqueue(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
      return undefined;
    });
    queue.add("a");
    queue.addAfter("b", 1000);
    await vi.advanceTimersByTimeAsync(0);
    const stopped = queue.shutdown();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(finished).toBe(true);
    queue.add("c"); // ignored after shutdown
    expect(queue.depth).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
