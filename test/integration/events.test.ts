/**
 * Events against the real API server: written through events.k8s.io/v1, read back through
 * it and through core/v1 (what `kubectl get events` and `kubectl describe` use); repeats
 * patch one Event's series; cluster-scoped objects' events land in "default"; failures go
 * to onError, never to the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventRecorder, REPEAT_WINDOW_MS } from "../../operator/kube/events.ts";
import { Discovery } from "../../operator/kube/discovery.ts";
import { ApiError, RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";

const client = new RestClient(adminConfig());
const ssa = new ServerSideApply(client, new Discovery(client));
const namespace = uniqueName("events");
const namespaceObject: ApplyTarget = {
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: namespace },
};
const IDENTITY = "meshkeeper-test-0";
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

let clock = Date.now();
const errors: unknown[] = [];
const recorder = new EventRecorder(client, IDENTITY, {
  clock: { now: () => new Date(clock) },
  onError: (error) => errors.push(error),
});

interface Applied {
  metadata: { name: string; uid: string };
}
let configMap: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
let namespaceUid: string;

async function eventsAbout(uid: string, ns = namespace): Promise<any[]> {
  const list = await client.send<{ items: any[] }>({
    method: "GET",
    path: `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  });
  return list.items.filter((e) => e.regarding?.uid === uid);
}

async function coreEventsAbout(uid: string, ns = namespace): Promise<any[]> {
  const list = await client.send<{ items: any[] }>({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/events`,
    query: { fieldSelector: `involvedObject.uid=${uid}` },
  });
  return list.items;
}

beforeAll(async () => {
  namespaceUid = (await ssa.apply<Applied>(namespaceObject)).metadata.uid;
  const applied = await ssa.apply<Applied>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "mesh-settings", namespace },
    data: { a: "1" },
  });
  const { name, uid } = applied.metadata;
  configMap = { apiVersion: "v1", kind: "ConfigMap", name, namespace, uid };
});

afterAll(async () => {
  // Events about the cluster-scoped Namespace live in "default", outside what we delete.
  for (const event of await eventsAbout(namespaceUid, "default")) {
    await client.send({
      method: "DELETE",
      path: `/apis/events.k8s.io/v1/namespaces/default/events/${event.metadata.name}`,
    });
  }
  await ssa.delete(namespaceObject);
  client.close();
});

describe("EventRecorder", () => {
  it("writes an events.k8s.io Event that the core/v1 API shows too", async () => {
    await recorder.record(configMap, "Warning", "ApplyFailed", "istiod: 0/2 ready; check quota");
    expect(errors).toEqual([]);
    const [event, ...others] = await eventsAbout(configMap.uid);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: "Warning",
      reason: "ApplyFailed",
      action: "ApplyFailed",
      note: "istiod: 0/2 ready; check quota",
      reportingController: "meshkeeper.dev/operator",
      reportingInstance: IDENTITY,
      regarding: { kind: "ConfigMap", name: "mesh-settings", namespace },
    });
    expect(event.eventTime).toMatch(MICRO_TIME);
    expect(event.metadata.name).toMatch(/^mesh-settings\.[0-9a-f]{16}$/);
    expect(event.series).toBeUndefined();

    const [core, ...moreCore] = await coreEventsAbout(configMap.uid);
    expect(moreCore).toEqual([]);
    expect(core).toMatchObject({
      type: "Warning",
      reason: "ApplyFailed",
      message: "istiod: 0/2 ready; check quota",
      reportingComponent: "meshkeeper.dev/operator",
      involvedObject: { kind: "ConfigMap", name: "mesh-settings", uid: configMap.uid },
    });
  });

  it("patches one Event's series for repeats in the window, and starts anew after it", async () => {
    const note = "waiting for istiod";
    await recorder.record(configMap, "Normal", "Waiting", note);
    clock += 60_000;
    await recorder.record(configMap, "Normal", "Waiting", note);
    clock += 60_000;
    await recorder.record(configMap, "Normal", "Waiting", note);
    expect(errors).toEqual([]);
    const waiting = (await eventsAbout(configMap.uid)).filter((e) => e.reason === "Waiting");
    expect(waiting).toHaveLength(1);
    expect(waiting[0].series).toEqual({
      count: 3,
      lastObservedTime: new Date(clock).toISOString().replace("Z", "000Z"),
    });

    // Another note is another Event.
    await recorder.record(configMap, "Normal", "Waiting", "waiting for the gateways");
    expect((await eventsAbout(configMap.uid)).filter((e) => e.reason === "Waiting")).toHaveLength(
      2,
    );

    clock += REPEAT_WINDOW_MS + 1;
    await recorder.record(configMap, "Normal", "Waiting", note);
    const after = (await eventsAbout(configMap.uid)).filter((e) => e.note === note);
    expect(after).toHaveLength(2);
    expect(after.filter((e) => e.series === undefined)).toHaveLength(1);
  });

  it("puts events about a cluster-scoped object into default, where kubectl looks", async () => {
    const regarding = { apiVersion: "v1", kind: "Namespace", name: namespace, uid: namespaceUid };
    await recorder.record(regarding, "Normal", "Reconciled", "every object is applied");
    expect(errors).toEqual([]);
    const [core] = await coreEventsAbout(namespaceUid, "default");
    expect(core).toMatchObject({
      reason: "Reconciled",
      message: "every object is applied",
      involvedObject: { kind: "Namespace", name: namespace },
    });
    expect(core.involvedObject.namespace).toBeUndefined();
  });

  it("reports failures through onError and resolves", async () => {
    const seen: unknown[] = [];
    const failing = new EventRecorder(client, IDENTITY, { onError: (e) => seen.push(e) });
    const missing = { ...configMap, namespace: uniqueName("missing") };
    await expect(failing.record(missing, "Normal", "Applied", "x")).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(ApiError);
    expect((seen[0] as ApiError).status).toBe(404);
  });
});
