/**
 * The probe and scrape endpoints: /healthz (liveness), /readyz (readiness), /metrics.
 * Loopback by default, so a developer's `meshkeeper run` exposes nothing; the pod passes
 * "0.0.0.0" so the kubelet and Prometheus can reach it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { OperatorMetrics } from "./metrics.ts";

export interface HealthServerOptions {
  /** 0 picks a free port; the real one is returned. */
  readonly port: number;
  readonly host?: string;
  readonly metrics: OperatorMetrics;
  readonly isHealthy: () => boolean;
  readonly isReady: () => boolean;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

type Reply = readonly [status: number, contentType: string, body: string];

const TEXT = "text/plain; charset=utf-8";

async function route(path: string, options: HealthServerOptions): Promise<Reply> {
  switch (path) {
    case "/healthz":
      return options.isHealthy() ? [200, TEXT, "ok\n"] : [500, TEXT, "unhealthy\n"];
    case "/readyz":
      return options.isReady() ? [200, TEXT, "ok\n"] : [503, TEXT, "not ready\n"];
    case "/metrics":
      return [200, options.metrics.contentType, await options.metrics.text()];
    default:
      return [404, TEXT, "not found\n"];
  }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: HealthServerOptions,
): Promise<void> {
  let reply: Reply;
  if (request.method !== "GET" && request.method !== "HEAD") {
    reply = [405, TEXT, "method not allowed\n"];
  } else {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    // A throwing check is an unhealthy process, not a crashed server.
    reply = await route(path, options).catch((error: unknown) => [
      500,
      TEXT,
      `error: ${error instanceof Error ? error.message : String(error)}\n`,
    ]);
  }
  const [status, contentType, body] = reply;
  response.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  response.end(request.method === "HEAD" ? undefined : body);
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    void handle(request, response, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        // Prometheus and kubelets keep connections alive; without this close() waits for them.
        server.closeAllConnections();
      }),
  };
}
