import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";

describe("operator metrics", () => {
  it("exposes every operator metric after observations", async () => {
    const metrics = new OperatorMetrics();
    metrics.observeReconcile("success", 0.02, 0.004);
    metrics.observeReconcile("error", 1.5);
    metrics.countWrite("apply", "Deployment");
    metrics.countWatchRestart("MeshConfig");
    metrics.countRelist("Deployment");
    metrics.trackRequests(
      () =>
        new Map([
          ["GET", 7],
          ["WATCH", 3],
        ]),
    );
    metrics.setQueueDepth(3);

    const text = await metrics.text();
    expect(text).toContain('meshkeeper_reconcile_total{result="success"} 1');
    expect(text).toContain('meshkeeper_reconcile_total{result="error"} 1');
    expect(text).toContain('meshkeeper_reconcile_total{result="stalled"} 0');
    expect(text).toContain("meshkeeper_reconcile_duration_seconds_count 2");
    expect(text).toContain('meshkeeper_reconcile_duration_seconds_bucket{le="0.025"} 1');
    // CPU time only where the caller measured it (the manager always does).
    expect(text).toContain("meshkeeper_reconcile_cpu_seconds_count 1");
    expect(text).toContain('meshkeeper_reconcile_cpu_seconds_bucket{le="0.005"} 1');
    expect(text).toContain("meshkeeper_workqueue_depth 3");
    expect(text).toContain('meshkeeper_api_writes_total{verb="apply",kind="Deployment"} 1');
    expect(text).toContain('meshkeeper_watch_restarts_total{kind="MeshConfig"} 1');
    expect(text).toContain('meshkeeper_watch_relists_total{kind="Deployment"} 1');
    expect(text).toContain('meshkeeper_api_requests_total{verb="GET"} 7');
    expect(text).toContain('meshkeeper_api_requests_total{verb="WATCH"} 3');
    const last = /^meshkeeper_last_successful_reconcile_timestamp_seconds (\S+)$/m.exec(text);
    expect(Number(last?.[1])).toBeCloseTo(Date.now() / 1000, -1);
    expect(text).toContain("meshkeeper_process_cpu_seconds_total");
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it("leaves the last-success time alone when a reconcile fails", async () => {
    const metrics = new OperatorMetrics();
    metrics.observeReconcile("requeue", 0.001);
    expect(await metrics.text()).toContain(
      "meshkeeper_last_successful_reconcile_timestamp_seconds 0",
    );
  });

  it("reads a tracked queue depth at scrape time", async () => {
    const metrics = new OperatorMetrics();
    let depth = 1;
    metrics.trackQueueDepth(() => depth);
    expect(await metrics.text()).toContain("meshkeeper_workqueue_depth 1");
    depth = 7;
    expect(await metrics.text()).toContain("meshkeeper_workqueue_depth 7");
  });

  it("lets two instances live in one process", () => {
    expect(() => [new OperatorMetrics(), new OperatorMetrics()]).not.toThrow();
  });
});
