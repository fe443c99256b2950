/**
 * A misbehaving API server for the reflector tests: a real HTTPS server on loopback that
 * answers discovery for ConfigMaps and hands every list and watch request to the test's
 * script, recording when each came. The reflector under test talks to it through our own
 * RestClient and Discovery, over real sockets and TLS, exactly as to a real API server;
 * only the server's behaviour is scripted (a real one cannot be made to fail on demand).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { RequestOptions } from "node:https";
import { Discovery } from "../../../operator/kube/discovery.ts";
import { RestClient, type ClusterAccess } from "../../../operator/kube/rest-client.ts";
import { generateKeyPair, privateKeyPem } from "../../../operator/pki/keys.ts";
import { certificatePem } from "../../../operator/pki/ca-certificate.ts";
import { x509 } from "../../../operator/pki/x509-library.ts";

export const COLLECTION = "/api/v1/configmaps";

export interface RecordedRequest {
  readonly kind: "discovery" | "list" | "watch";
  readonly query: URLSearchParams;
  /** Milliseconds since the server started. */
  readonly at: number;
}

/** The script: answers one list or watch request (or, on purpose, never answers). */
export type Script = (
  request: RecordedRequest,
  response: ServerResponse,
  index: { readonly lists: number; readonly watches: number },
) => void;

const DISCOVERY = {
  kind: "APIResourceList",
  groupVersion: "v1",
  resources: [
    { name: "configmaps", kind: "ConfigMap", namespaced: true, verbs: ["list", "watch"] },
  ],
};

let identity: Promise<{ cert: string; key: string }> | undefined;

/** One self-signed certificate for 127.0.0.1, shared by every fake server of the run. */
function serverIdentity() {
  identity ??= (async () => {
    const keys = await generateKeyPair("ECDSA-P256");
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=fake-api-server",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }])],
    });
    return { cert: certificatePem(certificate), key: privateKeyPem(keys.privateKey) };
  })();
  return identity;
}

export function listBody(resourceVersion: string, items: readonly unknown[] = []): string {
  return JSON.stringify({ kind: "ConfigMapList", metadata: { resourceVersion }, items });
}

export function configMap(name: string, resourceVersion: string) {
  return { metadata: { name, namespace: "ns", resourceVersion } };
}

export function eventLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

export function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: "Status", status: "Failure", code, reason, message });
}

/** Starts a watch response: 200 and the headers, the body left open. */
export function openStream(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.flushHeaders();
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly started = Date.now();
  private tlsConnections = 0;
  /** False: discovery leaves ConfigMaps out, as for a kind whose CRD is not installed yet. */
  serving = true;
  private ca = "";

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(script: Script): Promise<FakeApiServer> {
    const { cert, key } = await serverIdentity();
    const server = createServer({ cert, key });
    const fake = new FakeApiServer(server);
    fake.ca = cert;
    server.on("secureConnection", (socket: Socket) => {
      fake.tlsConnections += 1;
      fake.sockets.add(socket);
      socket.on("close", () => fake.sockets.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      fake.answer(req, res, script);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  private answer(req: IncomingMessage, res: ServerResponse, script: Script): void {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    if (url.pathname === "/api/v1") {
      this.requests.push({ kind: "discovery", query: url.searchParams, at: this.elapsed() });
      const served = this.serving ? DISCOVERY : { ...DISCOVERY, resources: [] };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(served));
      return;
    }
    if (url.pathname !== COLLECTION) {
      res.writeHead(404).end(status(404, "NotFound", `no ${url.pathname} here`));
      return;
    }
    const kind = url.searchParams.get("watch") === "1" ? "watch" : "list";
    const request = { kind, query: url.searchParams, at: this.elapsed() } as const;
    this.requests.push(request);
    script(request, res, { lists: this.count("list"), watches: this.count("watch") });
  }

  private elapsed(): number {
    return Date.now() - this.started;
  }

  count(kind: RecordedRequest["kind"]): number {
    return this.requests.filter((r) => r.kind === kind).length;
  }

  get handshakes(): number {
    return this.tlsConnections;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  private get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("not listening");
    return `https://127.0.0.1:${address.port}`;
  }

  /** A RestClient (our own) that trusts this server's certificate, and a Discovery on it. */
  client(): { client: RestClient; discovery: Discovery } {
    const server = this.url;
    const ca = this.ca;
    const access: ClusterAccess = {
      getCurrentCluster: () => ({ server }),
      applyToHTTPSOptions: (options: RequestOptions) => {
        options.ca = ca;
        return Promise.resolve();
      },
    };
    const client = new RestClient(access);
    return { client, discovery: new Discovery(client) };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
