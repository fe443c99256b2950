/**
 * Upgrades side by side, in one run, each on a fresh local control plane (KWOK nodes):
 *   operator, InPlace        patch spec.version; until Ready=True for the new generation
 *   operator, RevisionBased  the same with updateStrategy RevisionBased; until Ready (the
 *                            default tag moved) and until the old revision is gone
 *   kubectl, InPlace         `meshkeeper render` of the old and of the new MeshConfig; the
 *                            old applied and rolled out first (not timed), then the new one
 *                            with kubectl apply --server-side and kubectl rollout status
 *   kubectl, RevisionBased   the same two manifests of the RevisionBased MeshConfig; then
 *                            kubectl delete of what only the old manifest has (the old
 *                            revision), as a person following the canary steps would
 * Workloads: --pods pods in the shape Istio's injector leaves them (revision in
 * sidecar.istio.io/status, istio-proxy at the old version) exist before the upgrade; once
 * the new version serves they are "restarted" (deleted, created again as the new revision
 * injects them) on every row alike, so "old one gone" includes moving the workloads (a
 * RevisionBased old revision is removed only when no pod uses it). The operator rows also
 * report status.revisions' outdated proxies right after the upgrade.
 * Writes: the operator's from its /metrics (objects only, MeshConfig status apart), kubectl's
 * from its -v=6 request log (PATCH and DELETE). Per object: writes / objects in the new manifest.
 * Run: npm run bench:upgrade [-- --from 1.30.5 --to 1.31.1 --replicas 2 --grace 0 --pods 10]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileNameOf, renderFile, toYaml } from "../operator/cli/render.ts";
import { RestClient } from "../operator/kube/rest-client.ts";
import { LocalControlPlane } from "../operator/local/control-plane.ts";
import { podLatencyFromEnv } from "../operator/local/kwok-stages.ts";
import type { RenderedObject } from "../operator/render/render.ts";
import { injectedPod } from "../test/fixtures/injected-pod.ts";
import {
  applyUntilReady,
  benchWork,
  ByHand,
  meshConfigOf,
  writeManifest,
  type Manifest,
} from "./mesh-setup.ts";
import {
  until,
  withOperatorCluster,
  type OperatorCluster,
  type Scrape,
} from "./operator-process.ts";
import { printTable, seconds } from "./table.ts";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "1.30.5" },
    to: { type: "string", default: "1.31.1" },
    replicas: { type: "string", default: "2" },
    grace: { type: "string", default: "0" },
    pods: { type: "string", default: "10" },
  },
});
const FROM = values.from;
const TO = values.to;
const REPLICAS = Number(values.replicas);
const GRACE = Number(values.grace);
const PODS = Number(values.pods);
/** KWOK's pod start latency, from the environment LocalControlPlane.start reads it from. */
const LATENCY = podLatencyFromEnv(process.env);
const LATENCY_ENV = [
  ["MESHKEEPER_POD_START_MS", LATENCY.startMs],
  ["MESHKEEPER_POD_READY_MS", LATENCY.readyMs],
  ["MESHKEEPER_POD_JITTER_MS", LATENCY.jitterMs ?? 0],
]
  .filter(([, ms]) => ms !== 0)
  .map(([name, ms]) => `${String(name)}=${String(ms)} `)
  .join("");
const REPRODUCE = `${LATENCY_ENV}npm run bench:upgrade -- --from ${FROM} --to ${TO} --replicas ${REPLICAS} --grace ${GRACE} --pods ${PODS}`;
const APPS = "bench-apps";
const TIMEOUT_MS = 300_000;

type Strategy = "InPlace" | "RevisionBased";

const workDir = benchWork("meshkeeper-bench-upgrade-");
const work = workDir.dir;

/** The mesh upgraded: istiod and two gateways, each with REPLICAS pods, no autoscaling. */
function meshConfig(version: string, strategy: Strategy) {
  const gateway = (name: string, namespace: string, type: string) => ({
    name,
    namespace,
    type,
    replicas: REPLICAS,
    autoscaling: { enabled: false },
  });
  return {
    apiVersion: "meshkeeper.dev/v1alpha1",
    kind: "MeshConfig",
    metadata: { name: "default" },
    spec: {
      version,
      namespace: "istio-system",
      updateStrategy:
        strategy === "RevisionBased"
          ? { type: strategy, inactiveRevisionDeletionGracePeriodSeconds: GRACE }
          : { type: strategy },
      controlPlane: { replicas: REPLICAS, autoscaling: { enabled: false } },
      gateways: [
        gateway("istio-ingressgateway", "istio-ingress", "ingress"),
        gateway("istio-egressgateway", "istio-egress", "egress"),
      ],
    },
  };
}

function writeMeshConfig(version: string, strategy: Strategy): string {
  const file = join(work, `mesh-${strategy}-${version}.yaml`);
  writeFileSync(file, toYaml(meshConfig(version, strategy)));
  return file;
}

interface Row {
  readonly who: string;
  readonly strategy: Strategy;
  /** Until the new version serves: Ready (operator) or every rollout status done (kubectl). */
  readonly servingMs: number;
  /** Until nothing of the old version is left (RevisionBased: the old revision removed). */
  readonly doneMs: number;
  readonly writes: number;
  readonly objects: number;
  readonly detail: string;
  /** status.revisions' outdated proxies once the new version serves (operator rows). */
  readonly outdated?: number;
  readonly onOldRevision?: number;
}

// ---------------------------------------------------------------- the workloads

async function createWorkloads(client: RestClient, revision: string, version: string) {
  await client
    .send({
      method: "POST",
      path: "/api/v1/namespaces",
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: APPS } },
    })
    .catch(() => undefined);
  for (let i = 0; i < PODS; i += 1)
    await client.send({
      method: "POST",
      path: `/api/v1/namespaces/${APPS}/pods`,
      body: injectedPod({
        name: `shop-${version.replaceAll(".", "-")}-${i}`,
        namespace: APPS,
        revision,
        proxy: version,
      }),
    });
}

/** What `kubectl rollout restart` amounts to here: old pods gone, new ones injected anew. */
async function restartWorkloads(client: RestClient, revision: string, version: string) {
  await client.send({
    method: "DELETE",
    path: `/api/v1/namespaces/${APPS}/pods`,
    body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 },
  });
  await createWorkloads(client, revision, version);
}

/** The revision an istiod Deployment of a manifest serves (its istio.io/rev label). */
function revisionOf(rendered: readonly RenderedObject[]): string {
  const istiod = rendered.find(
    (r) => r.object.kind === "Deployment" && r.object.metadata.labels?.["app"] === "istiod",
  );
  return istiod?.object.metadata.labels?.["istio.io/rev"] ?? "default";
}

// ---------------------------------------------------------------- the operator

function objectWrites(before: Scrape, after: Scrape): { writes: number; byKind: string } {
  const byKind = [...after.writesByKind]
    .map(([kind, n]): [string, number] => [kind, n - (before.writesByKind.get(kind) ?? 0)])
    .filter(([kind, n]) => n > 0 && !kind.startsWith("MeshConfig"))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  return { writes: after.objectWrites - before.objectWrites, byKind };
}

async function operatorUpgrade(strategy: Strategy): Promise<Row> {
  return withOperatorCluster(async ({ plane, client, operator }: OperatorCluster) => {
    const config = plane.kubeconfigPath;
    const old = await applyUntilReady(
      config,
      client,
      writeMeshConfig(FROM, strategy),
      TIMEOUT_MS,
      100,
    );
    await createWorkloads(client, old.status?.revisions?.[0]?.name ?? "default", FROM);
    const before = await operator.settle(1_000);
    const started = Date.now();
    const ready = await applyUntilReady(
      config,
      client,
      writeMeshConfig(TO, strategy),
      TIMEOUT_MS,
      20,
    );
    const servingMs = Date.now() - started;
    const active = await until(
      "the pods counted against the new version",
      async () => {
        const revisions = (await meshConfigOf(client))?.status?.revisions ?? [];
        const counted = revisions.reduce((sum, r) => sum + r.pods, 0);
        return counted === PODS && revisions.find((r) => r.version === TO);
      },
      TIMEOUT_MS,
      20,
    );
    const revisions = (await meshConfigOf(client))?.status?.revisions ?? [];
    const outdated = revisions.reduce((sum, r) => sum + (r.outdatedProxies ?? 0), 0);
    // RevisionBased: old proxies are not outdated for their own revision; they wait on it.
    const onOld = revisions.filter((r) => r.name !== active.name).reduce((n, r) => n + r.pods, 0);
    await restartWorkloads(client, active.name, TO);
    // Nothing of the old version left: one revision in status, at the new version.
    await until(
      "the old revision gone",
      async () => {
        const revisions = (await meshConfigOf(client))?.status?.revisions ?? [];
        return revisions.length === 1 && revisions[0]?.version === TO;
      },
      TIMEOUT_MS,
      20,
    );
    const doneMs = Date.now() - started;
    const after = await operator.settle(1_000);
    const { writes, byKind } = objectWrites(before, after);
    return {
      who: "operator",
      strategy,
      servingMs,
      doneMs,
      writes,
      objects: ready.status?.managedObjects ?? 0,
      detail: byKind,
      outdated,
      onOldRevision: onOld,
    };
  });
}

// ---------------------------------------------------------------- kubectl by hand

function identity({ object }: RenderedObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

async function kubectlUpgrade(strategy: Strategy): Promise<Row> {
  const old = renderFile(writeMeshConfig(FROM, strategy));
  const next = renderFile(writeMeshConfig(TO, strategy));
  const oldManifest: Manifest = writeManifest(old, join(work, `kubectl-${strategy}-old`));
  const newManifest = writeManifest(next, join(work, `kubectl-${strategy}-new`));
  const plane = await LocalControlPlane.start();
  try {
    const setup = new ByHand(plane.kubeconfigPath, join(work, `cache-${strategy}`), "by-hand");
    await setup.apply(oldManifest);
    await setup.rolloutStatus(old);
    const client = new RestClient(plane.adminConfig());
    await createWorkloads(client, revisionOf(old), FROM);
    const timed = new ByHand(plane.kubeconfigPath, join(work, `cache-${strategy}`), "by-hand");
    const started = Date.now();
    await timed.apply(newManifest);
    await timed.rolloutStatus(next);
    const servingMs = Date.now() - started;
    await restartWorkloads(client, revisionOf(next), TO);
    client.close();
    // RevisionBased by hand: what only the old manifest has is the old revision; delete it.
    const kept = new Set(next.map(identity));
    // CRDs stay (an older minor's extra kind would hold users' objects).
    const gone = old.filter(
      (r) => !kept.has(identity(r)) && r.object.kind !== "CustomResourceDefinition",
    );
    if (gone.length > 0) {
      const dir = join(work, `kubectl-${strategy}-gone`);
      mkdirSync(dir, { recursive: true });
      gone.forEach((o, index) => {
        writeFileSync(join(dir, fileNameOf(index, o)), toYaml(o.object));
      });
      await timed.run(["delete", "--wait=true", "-f", dir]);
    }
    const doneMs = Date.now() - started;
    return {
      who: "kubectl",
      strategy,
      servingMs,
      doneMs,
      writes: timed.writes(),
      objects: next.length,
      detail: `${timed.requests.get("PATCH") ?? 0} PATCH, ${timed.requests.get("DELETE") ?? 0} DELETE${gone.length ? ` (${gone.length} old-revision objects)` : ""}`,
    };
  } finally {
    await plane.stop();
  }
}

// ---------------------------------------------------------------- the run

try {
  const rows: Row[] = [];
  for (const strategy of ["InPlace", "RevisionBased"] as const) {
    rows.push(await operatorUpgrade(strategy));
    rows.push(await kubectlUpgrade(strategy));
  }
  printTable(
    `Upgrade ${FROM} -> ${TO}: istiod and 2 gateways at ${REPLICAS} replicas each, ${PODS} injected pods (KWOK nodes; pods Running after ${LATENCY.startMs} ms, Ready ${LATENCY.readyMs} ms later, jitter ${LATENCY.jitterMs ?? 0} ms)`,
    [
      "who",
      "strategy",
      "new version serving",
      "outdated proxies",
      "old one gone",
      "object writes",
      "writes/object",
      "writes",
    ],
    rows.map((r) => [
      r.who,
      r.strategy,
      seconds(r.servingMs),
      r.outdated === undefined
        ? "-"
        : `${r.outdated}/${PODS}${r.onOldRevision ? ` (${r.onOldRevision} on the old revision)` : ""}`,
      seconds(r.doneMs),
      String(r.writes),
      r.objects ? (r.writes / r.objects).toFixed(2) : "-",
      r.detail,
    ]),
    REPRODUCE,
  );
} finally {
  workDir.remove();
}
