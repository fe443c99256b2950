/**
 * The reflector's recovery from 410 Gone, driven by a scripted stand-in for the REST
 * client (etcd compaction cannot be provoked on demand in a test cluster).
 */
import { describe, expect, it } from "vitest";
import type { Discovery } from "../../../operator/kube/discovery.ts";
import { Reflector } from "../../../operator/kube/reflector.ts";
import { ApiError, type RestClient } from "../../../operator/kube/rest-client.ts";

const discovery = {
  collectionPath: () => Promise.resolve("/api/v1/configmaps"),
} as unknown as Discovery;

function object(name: string, resourceVersion: string) {
  return { metadata: { name, namespace: "ns", resourceVersion } };
}

describe("reflector recovery", () => {
  it("relists after 410 Gone and reports what vanished meanwhile as deleted", async () => {
    const lists = [
      { metadata: { resourceVersion: "10" }, items: [object("a", "5"), object("b", "6")] },
      { metadata: { resourceVersion: "20" }, items: [object("a", "5"), object("c", "15")] },
    ];
    const watches = [
      [
        {
          type: "ERROR",
          object: { code: 410, message: "too old resource version", metadata: { name: "" } },
        },
      ],
      [],
    ];
    const watchedFrom: string[] = [];
    let stop: () => void = () => undefined;
    const client = {
      send: () => Promise.resolve(lists.shift()),
      stream: (
        _path: string,
        query: Record<string, string>,
        onLine: (l: string) => void,
        signal: AbortSignal,
      ) => {
        watchedFrom.push(query.resourceVersion ?? "");
        const script = watches.shift();
        if (!script) {
          stop();
          return Promise.resolve();
        }
        for (const event of script) {
          onLine(JSON.stringify(event));
          if (signal.aborted) break;
        }
        return Promise.resolve();
      },
    } as unknown as RestClient;
    const events: string[] = [];
    const restarts: string[] = [];
    const reflector = new Reflector(client, discovery, {
      apiVersion: "v1",
      kind: "ConfigMap",
      onEvent: (type, o) => events.push(`${type} ${o.metadata.name}`),
      onRestart: (reason) => restarts.push(reason),
    });
    stop = () => void reflector.stop();
    reflector.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reflector.stop();
    expect(restarts, JSON.stringify(restarts)).toContain(
      "resource version expired (410 Gone): relisting",
    );
    expect(watchedFrom.slice(0, 2)).toEqual(["10", "20"]);
    expect(events).toEqual(["ADDED a", "ADDED b", "ADDED c", "DELETED b"]);
  });

  it("relists when the watch request itself is refused with 410 Gone", async () => {
    const lists = [
      { metadata: { resourceVersion: "10" }, items: [object("a", "5")] },
      { metadata: { resourceVersion: "30" }, items: [object("a", "25")] },
    ];
    const watchedFrom: string[] = [];
    let stop: () => void = () => undefined;
    const client = {
      send: () => Promise.resolve(lists.shift()),
      stream: (_path: string, query: Record<string, string>) => {
        watchedFrom.push(query.resourceVersion ?? "");
        if (watchedFrom.length === 1) {
          const body = JSON.stringify({ reason: "Expired", message: "too old resource version" });
          return Promise.reject(new ApiError("WATCH", "/api/v1/configmaps", 410, body));
        }
        stop();
        return Promise.resolve();
      },
    } as unknown as RestClient;
    const events: string[] = [];
    const reflector = new Reflector(client, discovery, {
      apiVersion: "v1",
      kind: "ConfigMap",
      onEvent: (type, o) => events.push(`${type} ${o.metadata.name}@${o.metadata.resourceVersion}`),
    });
    stop = () => void reflector.stop();
    reflector.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reflector.stop();
    // Watched again from the fresh list's version at once, not retried from the dead one.
    expect(watchedFrom).toEqual(["10", "30"]);
    expect(events).toEqual(["ADDED a@5", "MODIFIED a@25"]);
  });
});
