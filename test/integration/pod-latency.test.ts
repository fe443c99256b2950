/**
 * KWOK with a pod start latency (a control plane of its own, not the shared one): a pod
 * goes Pending -> Running but not Ready -> Ready, each after its delay, so a Deployment's
 * rolling update surges above its replicas and takes the time a real kubelet would, and
 * rolloutOf says done only at the end.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../operator/kube/object.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { LocalControlPlane } from "../../operator/local/control-plane.ts";
import { rolloutOf } from "../../operator/reconcile/rollout.ts";

const START_MS = 1_000;
const READY_MS = 1_500;
const NAMESPACE = "default";
const PATH = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;

let plane: LocalControlPlane;
let client: RestClient;

interface PodView {
  metadata: { name: string; creationTimestamp?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const readyOf = (pod: PodView) =>
  pod.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";

function deployment(image: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "slow", namespace: NAMESPACE },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "slow" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "slow" } },
        spec: { containers: [{ name: "app", image }] },
      },
    },
  };
}

async function apply(image: string): Promise<void> {
  await client.send({
    method: "PATCH",
    path: `${PATH}/slow`,
    body: deployment(image),
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: "pod-latency-test", force: "true" },
  });
}

async function pods(): Promise<PodView[]> {
  const list = await client.send<{ items: PodView[] }>({
    method: "GET",
    path: `/api/v1/namespaces/${NAMESPACE}/pods`,
    query: { labelSelector: "app=slow" },
  });
  return list.items;
}

interface Sample {
  readonly at: number;
  readonly done: boolean;
  readonly replicas: number;
  readonly runningUnready: number;
}

/** Samples the Deployment and its pods until it has rolled out (or the deadline). */
async function sampleRollout(ms: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const live = await client.send<KubeObject>({ method: "GET", path: `${PATH}/slow` });
    const listed = await pods();
    const rollout = rolloutOf(live);
    samples.push({
      at: Date.now(),
      done: rollout.done,
      replicas: (live.status as { replicas?: number } | undefined)?.replicas ?? 0,
      runningUnready: listed.filter((p) => p.status?.phase === "Running" && !readyOf(p)).length,
    });
    if (rollout.done) return samples;
    await sleep(100);
  }
  return samples;
}

beforeAll(async () => {
  plane = await LocalControlPlane.start({ podLatency: { startMs: START_MS, readyMs: READY_MS } });
  client = new RestClient(plane.adminConfig());
}, 120_000);

afterAll(async () => {
  client.close();
  await plane.stop();
});

describe("KWOK pod start latency", () => {
  it("creates a Deployment whose pods are Running but unready for a while, then Ready", async () => {
    const started = Date.now();
    await apply("registry.example/slow:1");
    const samples = await sampleRollout(60_000);
    expect(samples.at(-1)?.done).toBe(true);
    expect(samples.some((s) => s.runningUnready > 0)).toBe(true);
    // Both delays passed before the Deployment counted as rolled out.
    expect((samples.at(-1)?.at ?? 0) - started).toBeGreaterThanOrEqual(START_MS + READY_MS);
    expect((await pods()).every(readyOf)).toBe(true);
  }, 90_000);

  it("rolls an update one surge pod at a time, never done before the last new pod is Ready", async () => {
    const started = Date.now();
    await apply("registry.example/slow:2");
    const samples = await sampleRollout(90_000);
    expect(samples.at(-1)?.done).toBe(true);
    // maxSurge 1, maxUnavailable 0: a third pod beside the two, and the old ones kept meanwhile.
    expect(samples.some((s) => s.replicas === 3)).toBe(true);
    expect(samples.filter((s) => s.done)).toHaveLength(1);
    // Two pods, one after the other, each through both delays.
    expect((samples.at(-1)?.at ?? 0) - started).toBeGreaterThanOrEqual(2 * (START_MS + READY_MS));
  }, 120_000);
});
