/**
 * Soak: the operator (a `meshkeeper run` child process, as bench/operator.ts starts it)
 * against a local control plane whose API server is restarted every few seconds, for the
 * whole run, while 1,000 namespaces are created and deleted and the MeshConfig is edited
 * 100 times. It checks that every edit converges (a generation at least as new as its
 * own Reconciled and Ready: soak-convergence.ts), that the operator never hot-loops
 * (requests per second, from its own meshkeeper_api_requests_total, bounded in every
 * sample window), and that its memory does not grow (VmRSS sampled throughout). Prints
 * tables and the command that reproduces them.
 * Run: npm run bench:soak [-- --duration 600 --restart-every 5 --namespaces 1000 --edits 100]
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { RestClient } from "../operator/kube/rest-client.ts";
import { LocalControlPlane } from "../operator/local/control-plane.ts";
import type { MeshConfigObject } from "../operator/reconcile/mesh-config-object.ts";
import {
  kubectlOk,
  OperatorProcess,
  residentMiB,
  withOperatorCluster,
} from "./operator-process.ts";
import { ConvergenceTracker, MESH_PATH } from "./soak-convergence.ts";
import { report, type SoakResult, type Sample } from "./soak-report.ts";

const FLAGS = {
  duration: "600",
  "restart-every": "5",
  namespaces: "1000",
  edits: "100",
  "sample-every": "10",
  "max-rps": "50",
} as const;
type Flag = keyof typeof FLAGS;

function readFlags(): Record<Flag, number> {
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([flag, value]) => [flag, { type: "string", default: value }]),
  ) as Record<Flag, { type: "string"; default: string }>;
  const { values } = parseArgs({ options });
  const read = {} as Record<Flag, number>;
  for (const flag of Object.keys(FLAGS) as Flag[]) {
    const value = Number(values[flag]);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`--${flag}: must be a number above 0 (got "${values[flag]}")`);
    }
    read[flag] = value;
  }
  return read;
}

const flags = readFlags();
const REPRODUCE = `npm run bench:soak -- ${(Object.keys(FLAGS) as Flag[]).map((f) => `--${f} ${flags[f]}`).join(" ")}`;
const SAMPLE = new URL("../config/samples/production.yaml", import.meta.url).pathname;
const CONVERGE_TIMEOUT_MS = 180_000;

/** Retries a request of the bench's own while the API server is down (it restarts on purpose). */
async function persist<T>(what: string, send: () => Promise<T>, accept: number[] = []) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status !== undefined && accept.includes(status)) return undefined;
      // 4xx other than 429 is a real refusal: the bench is wrong, not the API server.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) throw error;
      if (Date.now() > deadline)
        throw new Error(`${what}: still failing after 120 s`, { cause: error });
      await sleep(200);
    }
  }
}

/** Restarts the API server every `restart-every` seconds until `end`; returns each downtime. */
async function restartLoop(plane: LocalControlPlane, end: number): Promise<number[]> {
  const downtimesMs: number[] = [];
  while (Date.now() + flags["restart-every"] * 1000 < end) {
    await sleep(flags["restart-every"] * 1000);
    const started = Date.now();
    // Generous: on a loaded machine a cold API server start takes most of a minute.
    await plane.restartApiserver(180_000);
    downtimesMs.push(Date.now() - started);
  }
  return downtimesMs;
}

/** Creates `namespaces` namespaces evenly over the run, deleting each 20 steps after. */
async function namespaceChurn(client: RestClient, end: number) {
  const count = flags.namespaces;
  const intervalMs = (end - Date.now()) / count;
  const name = (i: number) => `soak-${i}`;
  const remove = (i: number) =>
    persist(
      `delete namespace ${name(i)}`,
      () => client.send({ method: "DELETE", path: `/api/v1/namespaces/${name(i)}` }),
      [404],
    );
  let created = 0;
  let deleted = 0;
  for (let i = 0; i < count; i += 1) {
    const slot = end - (count - i) * intervalMs;
    if (slot > Date.now()) await sleep(slot - Date.now());
    const body = { apiVersion: "v1", kind: "Namespace", metadata: { name: name(i) } };
    // 409: a create whose answer was lost in a restart went through.
    await persist(
      `create namespace ${name(i)}`,
      () => client.send({ method: "POST", path: "/api/v1/namespaces", body }),
      [409],
    );
    created += 1;
    if (i >= 20) {
      await remove(i - 20);
      deleted += 1;
    }
  }
  for (let i = Math.max(0, count - 20); i < count; i += 1) {
    await remove(i);
    deleted += 1;
  }
  return { created, deleted };
}

/** The edit number i: a new tracing sampling rate each time, istiod's log level every 5th. */
function editPatch(i: number) {
  return {
    spec: {
      telemetry: { tracing: { samplingPercent: 2 + (i % 98) } },
      controlPlane: { logLevel: Math.floor(i / 5) % 2 === 0 ? "debug" : "info" },
    },
  };
}

/** `edits` edits evenly over the run; the tracker notes when each one converges. */
async function editLoop(client: RestClient, tracker: ConvergenceTracker, end: number) {
  const intervalMs = (end - Date.now()) / flags.edits;
  for (let i = 0; i < flags.edits; i += 1) {
    const slot = end - (flags.edits - i) * intervalMs;
    if (slot > Date.now()) await sleep(slot - Date.now());
    const editedAt = Date.now();
    const patched = await persist(`edit ${i + 1}`, () =>
      client.send<MeshConfigObject>({
        method: "PATCH",
        path: MESH_PATH,
        contentType: "application/merge-patch+json",
        body: editPatch(i),
      }),
    );
    tracker.track(patched?.metadata.generation ?? 0, editedAt);
  }
}

/** Samples the operator's memory and request counters every `sample-every` seconds. */
function sampler(operator: OperatorProcess, started: number) {
  const samples: Sample[] = [];
  const state = { running: true };
  const take = async () => {
    const scrape = await operator.scrape();
    samples.push({ atMs: Date.now() - started, rssMiB: residentMiB(operator.pid), scrape });
  };
  const loop = (async () => {
    while (state.running) {
      await take();
      await sleep(flags["sample-every"] * 1000);
    }
    await take();
  })();
  return {
    samples,
    stop: async () => {
      state.running = false;
      await loop;
    },
  };
}

async function soak(
  plane: LocalControlPlane,
  client: RestClient,
  operator: OperatorProcess,
): Promise<SoakResult> {
  await kubectlOk(plane.kubeconfigPath, ["apply", "--server-side", "-f", SAMPLE]);
  const first = await persist("read the MeshConfig", () =>
    client.send<MeshConfigObject>({ method: "GET", path: MESH_PATH }),
  );
  const initial = new ConvergenceTracker(client);
  initial.track(first?.metadata.generation ?? 1);
  initial.start();
  await initial.settled(CONVERGE_TIMEOUT_MS);
  await initial.stop();
  const tracker = new ConvergenceTracker(client);
  tracker.start();
  await operator.settle(1_000);
  const started = Date.now();
  const end = started + flags.duration * 1000;
  const sampling = sampler(operator, started);
  const [downtimesMs, namespaces] = await Promise.all([
    restartLoop(plane, end),
    namespaceChurn(client, end),
    editLoop(client, tracker, end),
  ]);
  const soakMs = Date.now() - started;
  // Edits still converging when the restarts stop get a last chance, counted apart.
  const unsettledAtEnd = tracker.edits.filter((e) => e.convergedAt === undefined).length;
  await tracker.settled(CONVERGE_TIMEOUT_MS).catch((error: unknown) => {
    console.error((error as Error).message);
  });
  await tracker.stop();
  // Afterwards, with the API server left alone: an idle operator sends (almost) nothing.
  const quietFrom = await operator.settle(2_000, 120_000);
  await sleep(30_000);
  const quietTo = await operator.scrape();
  await sampling.stop();
  return {
    soakMs,
    downtimesMs,
    namespaces,
    edited: tracker.edits,
    unsettledAtEnd,
    samples: sampling.samples,
    quiet: { from: quietFrom, to: quietTo, seconds: 30 },
    problems: operator.problems(),
    maxRps: flags["max-rps"],
    edits: flags.edits,
    namespaceTarget: flags.namespaces,
  };
}

const passed = await withOperatorCluster(async ({ plane, client, operator }) =>
  report(await soak(plane, client, operator), REPRODUCE),
);
process.exitCode = passed ? 0 : 1;
