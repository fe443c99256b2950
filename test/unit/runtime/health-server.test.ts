import { once } from "node:events";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHealthServer, type HealthServer } from "../../../operator/runtime/health-server.ts";
import { OperatorMetrics } from "../../../operator/runtime/metrics.ts";

let server: HealthServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(state: { healthy: boolean; ready: boolean }): Promise<string> {
  const metrics = new OperatorMetrics();
  metrics.observeReconcile("success", 0.01);
  server = await startHealthServer({
    port: 0,
    metrics,
    isHealthy: () => state.healthy,
    isReady: () => state.ready,
  });
  expect(server.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${server.port}`;
}

describe("health server", () => {
  it("answers probes, metrics and unknown paths", async () => {
    const base = await start({ healthy: true, ready: true });

    const healthz = await fetch(`${base}/healthz`);
    expect([healthz.status, await healthz.text()]).toEqual([200, "ok\n"]);
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('meshkeeper_reconcile_total{result="success"} 1');
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  it("reports not ready and unhealthy as they change", async () => {
    const state = { healthy: true, ready: false };
    const base = await start(state);

    const readyz = await fetch(`${base}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([503, "not ready\n"]);
    state.ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    state.healthy = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(500);
  });

  it("answers 500 when a check throws", async () => {
    const metrics = new OperatorMetrics();
    server = await startHealthServer({
      port: 0,
      metrics,
      isHealthy: () => {
        throw new Error("informer gone");
      },
      isReady: () => true,
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect([response.status, await response.text()]).toEqual([500, "error: informer gone\n"]);
  });

  it("closes promptly while a client holds a connection open", async () => {
    const base = await start({ healthy: true, ready: true });
    // A request whose headers never finish: not idle, so close() alone would wait for it.
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    await once(socket, "connect");
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const closed = once(socket, "close");
    await new Promise((resolve) => setTimeout(resolve, 20));

    const started = Date.now();
    await server?.close();
    server = undefined;
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("fails to start on a port already taken", async () => {
    const base = await start({ healthy: true, ready: true });
    const port = Number(new URL(base).port);
    await expect(
      startHealthServer({
        port,
        metrics: new OperatorMetrics(),
        isHealthy: () => true,
        isReady: () => true,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
