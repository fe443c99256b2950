/**
 * A small JSON client for the Kubernetes REST API. Objects travel as plain JSON, exactly
 * as rendered: client-node's typed models rename fields and its serializer drops what it
 * does not know (x-kubernetes-* keys, `default` in schemas), which would corrupt CRDs and
 * break server-side apply's field ownership. Authentication comes from the KubeConfig, and
 * keep-alive agents are reused: one for requests, one for watches (each watch holds its
 * connection for minutes, so watches sharing the requests' socket limit would starve them).
 */
import { Agent, request, type RequestOptions } from "node:https";

/**
 * Where the API server is and how to authenticate a request: our own kubeconfig loader
 * (kubeconfig.ts) or client-node's KubeConfig, which has the same two methods.
 */
export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(method: string, path: string, status: number, body: string) {
    const parsed = parseStatus(body);
    super(`${method} ${path}: ${status} ${parsed.reason}: ${parsed.message}`);
    this.name = "ApiError";
    this.status = status;
    this.reason = parsed.reason;
  }
}

function parseStatus(body: string): { reason: string; message: string } {
  try {
    const status = JSON.parse(body) as { reason?: string; message?: string };
    return { reason: status.reason ?? "Unknown", message: status.message ?? body };
  } catch {
    return { reason: "Unknown", message: body.slice(0, 500) };
  }
}

export interface RequestSpec {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export class RestClient {
  private readonly config: ClusterAccess;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly watchAgent = new Agent({ keepAlive: true });
  /** Counts requests per verb, for benchmarks and "zero writes" tests. */
  readonly requests = new Map<string, number>();

  constructor(config: ClusterAccess) {
    this.config = config;
  }

  private server(): URL {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    return new URL(cluster.server);
  }

  async send<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(spec.path, this.server());
    for (const [key, value] of Object.entries(spec.query ?? {})) url.searchParams.set(key, value);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const options: RequestOptions = {
      method: spec.method,
      agent: this.agent,
      timeout: spec.timeoutMs ?? 30_000,
      headers: {
        accept: "application/json",
        // An explicit length: a chunked body on a reused keep-alive connection is refused
        // by the API server (400 Bad Request) now and then.
        ...(body === undefined
          ? {}
          : {
              "content-type": spec.contentType ?? "application/json",
              "content-length": String(Buffer.byteLength(body)),
            }),
      },
    };
    await this.config.applyToHTTPSOptions(options);
    this.requests.set(spec.method, (this.requests.get(spec.method) ?? 0) + 1);
    const { status, text } = await exchange(url, options, body);
    if (status >= 400) throw new ApiError(spec.method, url.pathname, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Streams a watch: calls onLine for each newline-delimited JSON event. Resolves when the
   * server ends the stream, rejects on transport or HTTP errors; the signal aborts it.
   */
  async stream(
    path: string,
    query: Readonly<Record<string, string>>,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const url = new URL(path, this.server());
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const options: RequestOptions = {
      method: "GET",
      agent: this.watchAgent,
      headers: { accept: "application/json" },
      signal,
    };
    await this.config.applyToHTTPSOptions(options);
    this.requests.set("WATCH", (this.requests.get("WATCH") ?? 0) + 1);
    await new Promise<void>((resolve, reject) => {
      const req = request(url, options, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          let text = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            reject(new ApiError("WATCH", url.pathname, res.statusCode ?? 0, text));
          });
          return;
        }
        let pending = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          pending += chunk;
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          try {
            for (const line of lines) if (line.trim()) onLine(line);
          } catch (error) {
            // A handler that refuses an event ends the watch with its error.
            req.destroy();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on("end", resolve);
        res.on("error", reject);
        res.on("aborted", resolve);
      });
      req.on("error", (error) => {
        // An abort we asked for ends the watch; anything else is a failure.
        if (signal.aborted) resolve();
        else reject(error);
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}

function exchange(url: URL, options: RequestOptions, body: string | undefined) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
      res.on("error", reject);
    });
    req.on("timeout", () =>
      req.destroy(new Error(`${options.method ?? "GET"} ${url.pathname} timed out`)),
    );
    req.on("error", reject);
    req.end(body);
  });
}
