import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IdleCollector } from "../../../operator/runtime/idle-collector.ts";

describe("IdleCollector", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("collects once, quietMs after the last of a burst of pokes", () => {
    const collect = vi.fn();
    const collector = new IdleCollector({ quietMs: 1_000, collect });
    collector.poke();
    vi.advanceTimersByTime(600);
    collector.poke(); // still busy: the wait starts again
    vi.advanceTimersByTime(600);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(collector.count).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1); // nothing new happened, nothing to collect
  });

  it("collects again after the next burst", () => {
    const collect = vi.fn();
    const collector = new IdleCollector({ quietMs: 100, collect });
    collector.poke();
    vi.advanceTimersByTime(100);
    collector.poke();
    vi.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it("does nothing without a collector (node started without --expose-gc)", () => {
    const collector = new IdleCollector({ collect: undefined });
    expect(collector.enabled).toBe(false);
    collector.poke();
    vi.advanceTimersByTime(10_000);
    expect(collector.count).toBe(0);
  });

  it("cancels a pending collection on stop", () => {
    const collect = vi.fn();
    const collector = new IdleCollector({ quietMs: 100, collect });
    collector.poke();
    collector.stop();
    vi.advanceTimersByTime(1_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it("finds the global gc that --expose-gc installs", () => {
    const global = globalThis as { gc?: (options?: unknown) => void };
    const before = global.gc;
    const collect = vi.fn();
    global.gc = collect;
    try {
      const collector = new IdleCollector({ quietMs: 10 });
      expect(collector.enabled).toBe(true);
      collector.poke();
      vi.advanceTimersByTime(10);
      expect(collect).toHaveBeenCalledTimes(1);
      // The compacting flavour, which gives fragmented pages back (docs/footprint.md).
      expect(collect).toHaveBeenCalledWith({
        type: "major",
        execution: "sync",
        flavor: "last-resort",
      });
    } finally {
      if (before) global.gc = before;
      else delete global.gc;
    }
  });
});
