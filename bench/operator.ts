/**
 * The operator against a real local control plane, in one run:
 *   1. cold converge of the production sample: the floor (kubectl server-side apply of the
 *      same rendered objects, on a fresh cluster) against the operator (on another fresh
 *      cluster), to Reconciled=True and to Ready=True, with writes per object;
 *   2. no-op reconciles (a metadata touch): writes and reconcile time;
 *   3. drift repair: istiod's Service deleted, time until it exists again;
 *   4. the operator's resident memory: idle, with 1,000 foreign namespaces, with 20 gateways,
 *      with 100 gateways (the API allows 128; the cost per gateway must stay linear), and
 *      with two revisions side by side (RevisionBased).
 * The operator is dist/meshkeeper.js, the file the image runs (rebuilt first if stale).
 * Run: npm run bench:operator [-- --touches N --deletes N --namespaces N --gateways N --many-gateways N]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { renderFile, toYaml } from "../operator/cli/render.ts";
import { RestClient } from "../operator/kube/rest-client.ts";
import { LocalControlPlane } from "../operator/local/control-plane.ts";
import {
  applyUntilReady,
  benchWork,
  ByHand,
  conditionTrue,
  SSA,
  writeManifest,
} from "./mesh-setup.ts";
import {
  kubectlOk,
  OperatorProcess,
  residentMiB,
  until,
  withOperatorCluster,
  type OperatorCluster,
  type Scrape,
} from "./operator-process.ts";
import {
  report,
  type Cold,
  type Drift,
  type Floor,
  type MemoryRow,
  type NoOp,
} from "./operator-report.ts";
import { seconds } from "./table.ts";

const { values } = parseArgs({
  options: {
    touches: { type: "string", default: "20" },
    deletes: { type: "string", default: "20" },
    namespaces: { type: "string", default: "1000" },
    gateways: { type: "string", default: "20" },
    // The API allows at most 128 gateways (spec.gateways maxItems, docs/api.md).
    "many-gateways": { type: "string", default: "100" },
  },
});
const touches = Number(values.touches);
const deletes = Number(values.deletes);
const foreignNamespaces = Number(values.namespaces);
const gatewayCount = Number(values.gateways);
const manyGateways = Number(values["many-gateways"]);
const REPRODUCE = `npm run bench:operator -- --touches ${touches} --deletes ${deletes} --namespaces ${foreignNamespaces} --gateways ${gatewayCount} --many-gateways ${manyGateways}`;

const SAMPLE = new URL("../config/samples/production.yaml", import.meta.url).pathname;
const ISTIOD_SERVICE = "/api/v1/namespaces/istio-system/services/istiod";
const CA_SECRETS = 2;
// Ctrl-C included: the control planes and the operator register their own kills the same way.
const workDir = benchWork("meshkeeper-bench-operator-");
const work = workDir.dir;
const rendered = renderFile(SAMPLE);

// ---------------------------------------------------------------- 1a. the floor (kubectl)

async function deploymentsAvailable(client: RestClient): Promise<boolean> {
  type Item = { status?: { conditions?: { type: string; status: string }[] } };
  const list = await client.send<{ items: Item[] }>({
    method: "GET",
    path: "/apis/apps/v1/deployments",
  });
  return (
    list.items.length > 0 &&
    list.items.every((d) =>
      d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True"),
    )
  );
}

async function floor(): Promise<Floor> {
  const manifest = writeManifest(rendered, join(work, "floor"));
  const plane = await LocalControlPlane.start();
  const client = new RestClient(plane.adminConfig());
  try {
    // One cache folder for kubectl's three commands: CRDs, wait for Established, the rest.
    const byHand = new ByHand(plane.kubeconfigPath, join(work, "floor", "kube-cache"), "floor");
    const started = Date.now();
    await byHand.apply(manifest);
    const applyMs = Date.now() - started;
    await until("the floor's Deployments to be Available", () => deploymentsAvailable(client));
    const availableMs = Date.now() - started;
    const { passes, requests } = byHand;
    return { objects: rendered.length, applyMs, availableMs, passes, requests };
  } finally {
    client.close();
    await plane.stop();
  }
}

// ---------------------------------------------------------------- the operator's cluster

type MeshContext = OperatorCluster;

interface Deployment {
  metadata: { namespace: string; name: string; generation: number };
  spec: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number };
}

interface Autoscaler {
  metadata: { namespace: string };
  spec: { minReplicas?: number; scaleTargetRef: { name: string } };
}

/**
 * Every Deployment rolled out, at least at its autoscaler's minReplicas (the HPA controller
 * raises it on its 15 s sync): from here on, nothing changes by itself.
 */
async function steady(client: RestClient): Promise<boolean> {
  const list = <T>(path: string) =>
    client.send<{ items: T[] }>({ method: "GET", path }).then((l) => l.items);
  const deployments = await list<Deployment>("/apis/apps/v1/deployments");
  const autoscalers = await list<Autoscaler>("/apis/autoscaling/v2/horizontalpodautoscalers");
  const rolledOut = deployments.every(
    (d) =>
      d.status?.observedGeneration === d.metadata.generation &&
      (d.status.readyReplicas ?? 0) === (d.spec.replicas ?? 1),
  );
  const scaled = autoscalers.every((h) => {
    const target = deployments.find(
      (d) =>
        d.metadata.namespace === h.metadata.namespace &&
        d.metadata.name === h.spec.scaleTargetRef.name,
    );
    return (target?.spec.replicas ?? 0) >= (h.spec.minReplicas ?? 1);
  });
  return rolledOut && scaled;
}

function since(before: Scrape, now: Scrape): Scrape {
  const writesByKind = new Map(
    [...now.writesByKind].map(([kind, n]) => [kind, n - (before.writesByKind.get(kind) ?? 0)]),
  );
  return {
    ...now,
    writes: now.writes - before.writes,
    objectWrites: now.objectWrites - before.objectWrites,
    writesByKind,
  };
}

async function coldConverge({ plane, client, operator }: MeshContext): Promise<Cold> {
  const before = await operator.scrape();
  const started = Date.now();
  await kubectlOk(plane.kubeconfigPath, [...SSA, "-f", SAMPLE]);
  const reconciled = await conditionTrue(client, "Reconciled");
  const reconciledMs = Date.now() - started;
  await conditionTrue(client, "Ready");
  const readyMs = Date.now() - started;
  const atReady = since(before, await operator.scrape());
  await until("the autoscalers' minReplicas", () => steady(client), 120_000, 100);
  const steadyMs = Date.now() - started;
  await conditionTrue(client, "Ready");
  const atSteady = since(before, await operator.settle(1_000));
  const kinds = new Map<string, number>();
  for (const { object } of rendered) kinds.set(object.kind, (kinds.get(object.kind) ?? 0) + 1);
  // The mesh CA: two Secrets (root, cacerts) the operator creates beside the rendered
  // objects; the floor has none (its istiod would mint a CA of its own at start).
  kinds.set("Secret", (kinds.get("Secret") ?? 0) + CA_SECRETS);
  return {
    reconciledMs,
    readyMs,
    steadyMs,
    objects: (reconciled.status?.managedObjects ?? 0) + CA_SECRETS,
    kinds,
    atReady,
    atSteady,
  };
}

// ---------------------------------------------------------------- 2. no-op reconciles

async function noOpReconciles({ plane, operator }: MeshContext): Promise<NoOp> {
  const first = await operator.settle(300);
  const durationsMs: number[] = [];
  const cpuMs: number[] = [];
  const loads: number[] = [];
  let last = first;
  for (let i = 1; i <= touches; i += 1) {
    const previous = operator.converges();
    await kubectlOk(plane.kubeconfigPath, [
      "annotate",
      "meshconfig",
      "default",
      `bench.meshkeeper.dev/touch=${i}`,
      "--overwrite",
    ]);
    // Waited for by its log line: polling /metrics would make the operator render its
    // metrics while the reconcile being timed runs (a cost the touch does not cause).
    await until("the touch's reconcile", () => operator.converges() > previous, 30_000, 5);
    const now = await operator.settle(150);
    // Normally one reconcile; if another slipped in, the mean of them.
    const count = now.durationCount - last.durationCount;
    durationsMs.push(((now.durationSum - last.durationSum) / count) * 1000);
    cpuMs.push(((now.cpuSum - last.cpuSum) / (now.cpuCount - last.cpuCount)) * 1000);
    loads.push(loadavg()[0] ?? 0);
    last = now;
  }
  return {
    reconciles: last.reconciles - first.reconciles,
    writes: last.writes - first.writes,
    requests: new Map(
      [...last.requestsByVerb].map(([verb, n]) => [
        verb,
        n - (first.requestsByVerb.get(verb) ?? 0),
      ]),
    ),
    durationsMs,
    cpuMs,
    loadAverage: [Math.min(...loads), Math.max(...loads)],
  };
}

// ---------------------------------------------------------------- 3. drift repair

async function driftRepair({ client, operator }: MeshContext): Promise<Drift> {
  type Service = { metadata: { uid: string } };
  const get = () => client.send<Service>({ method: "GET", path: ISTIOD_SERVICE });
  const first = await operator.settle(300);
  const latenciesMs: number[] = [];
  for (let i = 0; i < deletes; i += 1) {
    const { uid } = (await get()).metadata;
    await client.send({ method: "DELETE", path: ISTIOD_SERVICE });
    const deleted = process.hrtime.bigint();
    await until(
      "istiod's Service to be recreated",
      async () => {
        const service = await get().catch(() => undefined);
        return service !== undefined && service.metadata.uid !== uid;
      },
      30_000,
      5,
    );
    latenciesMs.push(Number(process.hrtime.bigint() - deleted) / 1e6);
    await operator.settle(200);
  }
  const last = await operator.settle(300);
  return { latenciesMs, writes: since(first, last) };
}

// ---------------------------------------------------------------- 4. memory

async function memoryRow(operator: OperatorProcess, state: string, note = ""): Promise<MemoryRow> {
  await sleep(2_000); // idle: let the collector catch up with the last burst of work
  const { heapUsedMiB, heapTotalMiB } = await operator.scrape();
  return { state, rssMiB: residentMiB(operator.pid), heapUsedMiB, heapTotalMiB, note };
}

/** Foreign namespaces (no labels), 16 requests at a time over keep-alive connections. */
async function createNamespaces(client: RestClient): Promise<number> {
  const started = Date.now();
  let next = 1;
  const worker = async () => {
    while (next <= foreignNamespaces) {
      const name = `foreign-${next}`;
      next += 1;
      await client.send({
        method: "POST",
        path: "/api/v1/namespaces",
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return Date.now() - started;
}

/** The production sample with its gateways replaced by gw-1..gw-N, each in its namespace. */
function meshWithGateways(count: number): string {
  const sample = parse(readFileSync(SAMPLE, "utf8")) as { spec: Record<string, unknown> };
  const gateways = Array.from({ length: count }, (_, i) => ({
    name: `gw-${i + 1}`,
    namespace: `gw-${i + 1}`,
    type: "ingress",
  }));
  return toYaml({ ...sample, spec: { ...sample.spec, gateways } });
}

async function memoryWithLoad(context: MeshContext): Promise<MemoryRow[]> {
  const { client, operator } = context;
  const rows = [await memoryRow(operator, "after the no-op and drift runs")];
  const before = await operator.scrape();
  const createMs = await createNamespaces(client);
  const after = await operator.settle(500);
  const reconciles = after.reconciles - before.reconciles;
  rows.push(
    await memoryRow(
      operator,
      `+ ${foreignNamespaces} foreign namespaces`,
      `created in ${seconds(createMs)}; they caused ${reconciles} reconciles`,
    ),
  );
  rows.push(
    await withGateways(context, gatewayCount, `+ ${gatewayCount} gateways (2 pruned), Ready`),
  );
  rows.push(await withGateways(context, manyGateways, `+ ${manyGateways} gateways, Ready`));
  rows.push(await withTwoRevisions(context));
  return rows;
}

/** The production sample under RevisionBased at `version`, old revisions kept an hour. */
function meshAt(version: string): string {
  const sample = parse(readFileSync(SAMPLE, "utf8")) as { spec: Record<string, unknown> };
  const updateStrategy = {
    type: "RevisionBased",
    inactiveRevisionDeletionGracePeriodSeconds: 3600,
  };
  return toYaml({ ...sample, spec: { ...sample.spec, version, updateStrategy } });
}

/**
 * Two control planes side by side (spec.updateStrategy RevisionBased): the sample at
 * 1.30.5, then at its own 1.31.1; the old revision stays for the grace period, so istiod,
 * its injector and webhooks exist twice. Memory once it is Ready again.
 */
async function withTwoRevisions(context: MeshContext): Promise<MemoryRow> {
  const { plane, client, operator } = context;
  for (const version of ["1.30.5", "1.31.1"]) {
    const file = join(work, `revision-${version}.yaml`);
    writeFileSync(file, meshAt(version));
    await applyUntilReady(plane.kubeconfigPath, client, file);
  }
  await operator.settle(1_000);
  const mc = await conditionTrue(client, "Ready");
  const revisions = (mc.status as { revisions?: { name: string }[] } | undefined)?.revisions ?? [];
  return memoryRow(
    operator,
    "two revisions (RevisionBased 1.30.5 -> 1.31.1), 2 gateways",
    `${mc.status?.managedObjects ?? 0} objects; revisions: ${revisions.map((r) => r.name).join(", ")}`,
  );
}

/** The MeshConfig changed to `count` gateways gw-1..gw-N; memory once it is Ready again. */
async function withGateways(context: MeshContext, count: number, state: string) {
  const { plane, client, operator } = context;
  const file = join(work, `gateways-${count}.yaml`);
  writeFileSync(file, meshWithGateways(count));
  const started = Date.now();
  const mc = await applyUntilReady(plane.kubeconfigPath, client, file);
  const readyMs = Date.now() - started;
  await operator.settle(1_000);
  const row = await memoryRow(
    operator,
    state,
    `${mc.status?.managedObjects ?? 0} objects; Ready ${seconds(readyMs)} after the apply`,
  );
  return { ...row, gateways: count };
}

// ---------------------------------------------------------------- the run

try {
  const floorResult = await floor();
  const results = await withOperatorCluster(async (context) => {
    const { operator } = context;
    const started = await memoryRow(operator, "started, no MeshConfig yet");
    const cold = await coldConverge(context);
    const idle = await memoryRow(operator, "idle after Ready");
    const noOp = await noOpReconciles(context);
    const drift = await driftRepair(context);
    const loaded = await memoryWithLoad(context);
    return {
      floor: floorResult,
      cold,
      noOp,
      drift,
      memory: [started, idle, ...loaded],
      command: operator.commandLine().replace(/--kubeconfig \S+/, "--kubeconfig …"),
      readyBeforeMesh: operator.readyBeforeMesh,
      problems: operator.problems(),
    };
  });
  report(results, REPRODUCE);
} finally {
  workDir.remove();
}
