/**
 * The reflector against the real API server: label-selected list + watch, every change
 * reported once, and a watch that goes quiet is restarted without losing events.
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

  it("restarts a watch that goes quiet, from where it was, losing nothing", async () => {
    const restarts: string[] = [];
    const names: string[] = [];
    const reflector = new Reflector(client, discovery, {
      apiVersion: "v1",
      kind: "ConfigMap",
      labelSelector: `meshkeeper.dev/test=${label}`,
      inactivityTimeoutMs: 300,
      onEvent: (type, o) => names.push(`${type} ${o.metadata.name}`),
      onRestart: (reason) => restarts.push(reason),
    });
    reflector.start();
    await until(() => restarts.length >= 2);
    expect(restarts[0]).toBe("no data for 300 ms");
    await ssa.apply(configMap("after-restarts", "1"));
    await until(() => names.includes("ADDED after-restarts"));
    expect(names.filter((n) => n === "ADDED before")).toHaveLength(1);
    await reflector.stop();
  });
});
