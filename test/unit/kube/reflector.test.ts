/**
 * The reflector against a fake API server (reflector-fake-api-server.ts: real HTTPS on
 * loopback, scripted answers) that misbehaves the ways real API servers and proxies do.
 * Each case bounds the requests sent in a few seconds with client-go's default backoff
 * (800 ms, doubling, jitter in [1, 2) times): whatever the failure, the attempts are at
 * least 0.8 s, 2.4 s and 5.6 s after the first, so a 4 s run sees at most 3 of them.
 * Before this discipline, "200 then close" cost 17,826 watch requests in 4 s.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Reflector, type ReflectorOptions } from "../../../operator/kube/reflector.ts";
import {
  configMap,
  eventLine,
  FakeApiServer,
  listBody,
  openStream,
  status,
  type Script,
} from "./reflector-fake-api-server.ts";

const RUN_MS = 4_000;
/** Attempts that fit in RUN_MS with delays of at least 0.8 s, 1.6 s, 3.2 s: 0, 0.8, 2.4. */
const MAX_ATTEMPTS = 3;

interface Run {
  readonly server: FakeApiServer;
  readonly events: string[];
  readonly restarts: string[];
  readonly relists: string[];
  readonly lastResourceVersion: string;
}

/** Runs a reflector against a fake server answering with `script` for `ms`, then stops both. */
async function run(
  script: Script,
  ms = RUN_MS,
  options: Partial<ReflectorOptions> = {},
): Promise<Run> {
  const server = await FakeApiServer.start(script);
  const { client, discovery } = server.client();
  const events: string[] = [];
  const restarts: string[] = [];
  const relists: string[] = [];
  const reflector = new Reflector(client, discovery, {
    apiVersion: "v1",
    kind: "ConfigMap",
    onEvent: (type, o) => events.push(`${type} ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onRestart: (reason) => restarts.push(reason),
    onRelist: (reason) => relists.push(reason),
    ...options,
  });
  try {
    reflector.start();
    await sleep(ms);
    const stopped = Date.now();
    await reflector.stop();
    // Stopping is prompt even in the middle of a long backoff wait or a silent stream.
    expect(Date.now() - stopped).toBeLessThan(500);
    return {
      server,
      events,
      restarts,
      relists,
      lastResourceVersion: reflector.lastResourceVersion,
    };
  } finally {
    client.close();
    await server.stop();
  }
}

const listOk: Script = (_request, response) => {
  response.writeHead(200, { "content-type": "application/json" }).end(listBody("10"));
};

/** Lists answer normally; watches get `watch`. */
function watches(watch: Script): Script {
  return (request, response, index) => {
    if (request.kind === "list") listOk(request, response, index);
    else watch(request, response, index);
  };
}

describe.concurrent("reflector against a misbehaving API server", () => {
  it("backs off when every watch answers 200 and ends at once", async () => {
    const { server, restarts, relists } = await run(
      watches((_request, response) => {
        openStream(response);
        response.end();
      }),
    );
    expect(server.count("list")).toBe(1);
    expect(server.count("watch")).toBeGreaterThanOrEqual(2);
    expect(server.count("watch")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(restarts[0]).toMatch(
      /^watch failed: very short watch: ended after \d+ ms with no event/,
    );
    expect(relists).toEqual([]);
    // Watched again from where it was: no list is needed after a failed watch.
    expect(
      server.requests.filter((r) => r.kind === "watch").map((r) => r.query.get("resourceVersion")),
    ).toEqual(Array.from({ length: server.count("watch") }, () => "10"));
  });

  it("backs off its relists when every watch is refused with 410 Gone", async () => {
    const { server, restarts, relists } = await run(
      watches((_request, response) => {
        response.writeHead(410).end(status(410, "Expired", "too old resource version"));
      }),
    );
    // Every 410 costs a list and a watch, one pair per backoff step, not a tight loop.
    expect(server.count("list")).toBeGreaterThanOrEqual(2);
    expect(server.count("list")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(server.count("watch")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(relists).toHaveLength(server.count("list") - 1);
    expect(restarts[0]).toMatch(
      /^resource version expired \(410 Gone\): relisting; retrying in \d+ ms$/,
    );
  });

  it("backs off its relists when every watch sends a 410 ERROR event", async () => {
    const { server, relists } = await run(
      watches((_request, response) => {
        openStream(response);
        response.end(eventLine("ERROR", { kind: "Status", code: 410, message: "too old" }));
      }),
    );
    expect(server.count("list")).toBeGreaterThanOrEqual(2);
    expect(server.count("list")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(relists).toHaveLength(server.count("list") - 1);
  });

  it("backs off when every watch answers 500, and keeps its list", async () => {
    const { server, restarts, relists } = await run(
      watches((_request, response) => {
        response.writeHead(500).end(status(500, "InternalError", "etcd is unhappy"));
      }),
    );
    expect(server.count("list")).toBe(1);
    expect(server.count("watch")).toBeGreaterThanOrEqual(2);
    expect(server.count("watch")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(restarts[0]).toContain("500 InternalError: etcd is unhappy");
    expect(relists).toEqual([]);
  });

  it("backs off when every list answers 500", async () => {
    const { server, relists } = await run((_request, response) => {
      response.writeHead(500).end(status(500, "InternalError", "etcd is unhappy"));
    });
    expect(server.count("watch")).toBe(0);
    expect(server.count("list")).toBeGreaterThanOrEqual(2);
    expect(server.count("list")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(relists.every((r) => r === "retrying the first list")).toBe(true);
  });

  it("gives up a watch that is accepted but never answered, and backs off", async () => {
    // The guard is made short here; by default it is the server-side timeout plus a minute.
    const { server, restarts } = await run(
      watches(() => undefined),
      RUN_MS,
      { inactivityTimeoutMs: 300 },
    );
    expect(server.count("list")).toBe(1);
    expect(server.count("watch")).toBeGreaterThanOrEqual(2);
    expect(server.count("watch")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(restarts[0]).toMatch(/^watch failed: no data for 300 ms/);
  });

  it("gives up a list that is accepted but never answered, and backs off", async () => {
    const { server } = await run(() => undefined, RUN_MS, { listTimeoutMs: 300 });
    expect(server.count("list")).toBeGreaterThanOrEqual(2);
    expect(server.count("list")).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });

  it("watches again at once, with no warning, when the server ends a quiet watch on its timeout", async () => {
    const { server, restarts, relists } = await run(
      watches((request, response) => {
        openStream(response);
        const seconds = Number(request.query.get("timeoutSeconds"));
        setTimeout(() => response.end(), seconds * 1000);
      }),
      3_500,
      { minWatchTimeoutSeconds: 1 },
    );
    // timeoutSeconds is drawn from [1, 2]: at least two watches in 3.5 s, none of them failed.
    expect(server.count("watch")).toBeGreaterThanOrEqual(2);
    expect(server.count("list")).toBe(1);
    expect(restarts).toEqual([]);
    expect(relists).toEqual([]);
  });

  it("asks for bookmarks and a 5 to 10 minute timeout, and resumes from a bookmark's version", async () => {
    const { server, events, restarts, relists, lastResourceVersion } = await run(
      (request, response, index) => {
        if (request.kind === "list") {
          response.writeHead(200).end(listBody("10", [configMap("a", "7")]));
          return;
        }
        openStream(response);
        if (index.watches === 1) {
          // Quiet meanwhile: the bookmark is the only news, and the watch ends at once.
          response.end(
            eventLine("BOOKMARK", { kind: "ConfigMap", metadata: { resourceVersion: "50" } }),
          );
        } else if (index.watches === 2) {
          response.write(eventLine("ADDED", configMap("b", "60")));
          response.end(
            eventLine("BOOKMARK", { kind: "ConfigMap", metadata: { resourceVersion: "70" } }),
          );
        }
        // The third watch stays open.
      },
      1_000,
    );
    const watchRequests = server.requests.filter((r) => r.kind === "watch");
    expect(watchRequests.map((r) => r.query.get("resourceVersion"))).toEqual(["10", "50", "70"]);
    for (const { query } of watchRequests) {
      expect(query.get("allowWatchBookmarks")).toBe("true");
      const timeout = Number(query.get("timeoutSeconds"));
      expect(timeout).toBeGreaterThanOrEqual(300);
      expect(timeout).toBeLessThanOrEqual(600);
    }
    // Watched again at once after a watch that carried events: no backoff, no warning.
    const gaps = watchRequests.slice(1).map((r, i) => r.at - (watchRequests[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThan(500);
    expect(events).toEqual(["ADDED a@7", "ADDED b@60"]);
    expect(restarts).toEqual([]);
    expect(relists).toEqual([]);
    expect(lastResourceVersion).toBe("70");
  });

  it("relists after 410 Gone and reports what vanished meanwhile as deleted", async () => {
    const { server, events, restarts } = await run((request, response, index) => {
      if (request.kind === "list") {
        const items =
          index.lists === 1
            ? [configMap("a", "5"), configMap("b", "6")]
            : [configMap("a", "5"), configMap("c", "15")];
        response.writeHead(200).end(listBody(index.lists === 1 ? "10" : "20", items));
        return;
      }
      openStream(response);
      if (index.watches === 1)
        response.end(eventLine("ERROR", { kind: "Status", code: 410, message: "too old" }));
    }, 2_500);
    expect(
      server.requests
        .filter((r) => r.kind !== "discovery")
        .map((r) => `${r.kind}${r.query.get("resourceVersion") ?? ""}`),
    ).toEqual(["list", "watch10", "list", "watch20"]);
    expect(events).toEqual(["ADDED a@5", "ADDED b@6", "ADDED c@15", "DELETED b@6"]);
    expect(restarts).toHaveLength(1);
  });

  it("looks for a kind not served yet every few seconds, and watches it once it is", async () => {
    const server = await FakeApiServer.start(
      watches((_request, response) => {
        openStream(response);
      }),
    );
    server.serving = false;
    const { client, discovery } = server.client();
    const restarts: string[] = [];
    const reflector = new Reflector(client, discovery, {
      apiVersion: "v1",
      kind: "ConfigMap",
      onEvent: () => undefined,
      onRestart: (reason) => restarts.push(reason),
    });
    try {
      reflector.start();
      await sleep(3_000);
      // Re-checked every 0.5 to 5 s (0.5 s doubling, capped at 2.5 s, jitter 1.0): 0, 0.5, 1.5.
      expect(server.count("discovery")).toBeGreaterThanOrEqual(2);
      expect(server.count("discovery")).toBeLessThanOrEqual(3);
      expect(server.count("list")).toBe(0);
      expect(restarts[0]).toMatch(/does not serve ConfigMap in v1; retrying in \d+ ms$/);
      server.serving = true;
      const served = Date.now();
      while (!reflector.hasSynced) await sleep(20);
      // Within one capped wait (under 5 s) of the kind appearing, whatever the failures before.
      expect(Date.now() - served).toBeLessThan(5_000);
    } finally {
      await reflector.stop();
      client.close();
      await server.stop();
    }
  });

  it("treats an ERROR event other than 410 as a failure, keeping its version", async () => {
    const { server, restarts } = await run(
      watches((_request, response) => {
        openStream(response);
        response.end(eventLine("ERROR", { kind: "Status", code: 500, message: "storage hiccup" }));
      }),
    );
    expect(server.count("list")).toBe(1);
    expect(server.count("watch")).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(restarts[0]).toContain("watch error event 500: storage hiccup");
  });
});
