/**
 * The reflector against the real API server: label-selected list + watch, every change
 * reported once, and an idle watch kept current by bookmarks, ended by the server's own
 * timeout and resumed at once, without a list or a warning.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { Reflector, type EventType } from "../../operator/kube/reflector.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";

const client = new RestClient(adminConfig());
const discovery = new Discovery(client);
const ssa = new ServerSideApply(client, discovery);
const namespace = uniqueName("reflector");
const label = uniqueName("watched");

function configMap(name: string, value: string, labelled = true): ApplyTarget {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      ...(labelled ? { labels: { "meshkeeper.dev/test": label } } : {}),
    },
    data: { value },
  };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

beforeAll(async () => {
  await ssa.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  await ssa.apply(configMap("before", "1"));
});

afterAll(async () => {
  await ssa.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  client.close();
});

describe("reflector", () => {
  it("lists, then reports every change of the selected objects once, and nothing else", async () => {
    const events: [EventType, string, string][] = [];
    const reflector = new Reflector(client, discovery, {
      apiVersion: "v1",
      kind: "ConfigMap",
      labelSelector: `meshkeeper.dev/test=${label}`,
      onEvent: (type, o) =>
        events.push([
          type,
          o.metadata.name,
          String((o.data as { value?: string } | undefined)?.value),
        ]),
    });
    reflector.start();
    await until(() => reflector.hasSynced);
    expect(events).toEqual([["ADDED", "before", "1"]]);
    await ssa.apply(configMap("unwatched", "x", false));
    await ssa.apply(configMap("during", "1"));
    await ssa.apply(configMap("during", "2"));
    await ssa.delete(configMap("during", "2"));
    await until(() => events.length >= 4);
    await sleep(200);
    expect(events.slice(1)).toEqual([
      ["ADDED", "during", "1"],
      ["MODIFIED", "during", "2"],
      ["DELETED", "during", "2"],
    ]);
    expect([...reflector.cache.keys()]).toEqual([`${namespace}/before`]);
    await reflector.stop();
  });

  it("keeps an idle watch going on bookmarks and server-side timeouts, with no relist", async () => {
    // Its own client, so the requests counted are this reflector's alone.
    const own = new RestClient(adminConfig());
    const restarts: string[] = [];
    const relists: string[] = [];
    const names: string[] = [];
    const reflector = new Reflector(own, new Discovery(own), {
      apiVersion: "v1",
      kind: "ConfigMap",
      labelSelector: `meshkeeper.dev/test=${label}`,
      // Each watch asks the API server to end it after 3 to 6 s (5 to 10 minutes in production).
      minWatchTimeoutSeconds: 3,
      onEvent: (type, o) => names.push(`${type} ${o.metadata.name}`),
      onRestart: (reason) => restarts.push(reason),
      onRelist: (reason) => relists.push(reason),
    });
    try {
      reflector.start();
      await until(() => reflector.hasSynced);
      const listedAt = BigInt(reflector.lastResourceVersion);
      // Nothing selected changes for 14 s; other ConfigMaps do, so the API server's version
      // moves on and only bookmarks can carry it to this watch.
      for (let i = 0; i < 14; i += 1) {
        await ssa.apply(configMap(`unwatched-${i}`, String(i), false));
        await sleep(1_000);
      }
      expect(restarts).toEqual([]);
      expect(relists).toEqual([]);
      expect(names).toEqual(["ADDED before"]);
      expect(own.requests.get("GET")).toBe(2); // discovery of v1, and the one list
      // Every watch lived out its 3 to 6 s server-side timeout: between 2 and 6 in 14 s.
      const watches = own.requests.get("WATCH") ?? 0;
      expect(watches).toBeGreaterThanOrEqual(2);
      expect(watches).toBeLessThanOrEqual(6);
      expect(BigInt(reflector.lastResourceVersion)).toBeGreaterThan(listedAt);
      // And it still sees what happens, from where the bookmarks left it.
      await ssa.apply(configMap("after-idle", "1"));
      await until(() => names.includes("ADDED after-idle"));
      expect(relists).toEqual([]);
    } finally {
      await reflector.stop();
      own.close();
    }
  });
});
