/**
 * Local control plane figures: warm start time (binaries cached) to a healthy API server
 * and to Ready nodes, a Deployment's time to Available, and each component's resident
 * memory once idle. Run: npm run bench:control-plane [-- --runs N --idle-seconds S]
 */
import { AppsV1Api } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { LocalControlPlane } from "../operator/local/control-plane.ts";
import { median, printTable, seconds } from "./table.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "idle-seconds": { type: "string", default: "30" },
  },
});
const runs = Number(values.runs);
const idleSeconds = Number(values["idle-seconds"]);

function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

async function deploymentAvailableMs(plane: LocalControlPlane): Promise<number> {
  const apps = plane.adminConfig().makeApiClient(AppsV1Api);
  const labels = { app: "bench" };
  const started = Date.now();
  await apps.createNamespacedDeployment({
    namespace: "default",
    body: {
      metadata: { name: "bench" },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "c", image: "example.invalid/c:1" }] },
        },
      },
    },
  });
  for (;;) {
    const d = await apps.readNamespacedDeployment({ name: "bench", namespace: "default" });
    if (d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True")) break;
    await sleep(50);
  }
  return Date.now() - started;
}

const startRows: string[][] = [];
const apiserver: number[] = [];
const ready: number[] = [];
const available: number[] = [];
let memoryRows: string[][] = [];
for (let run = 1; run <= runs; run += 1) {
  const plane = await LocalControlPlane.start();
  apiserver.push(plane.timings.apiserver ?? 0);
  ready.push(plane.timings.nodes ?? 0);
  const rollout = await deploymentAvailableMs(plane);
  available.push(rollout);
  startRows.push([
    String(run),
    seconds(plane.timings.etcd ?? 0),
    seconds(plane.timings.apiserver ?? 0),
    seconds(plane.timings.nodes ?? 0),
    seconds(rollout),
  ]);
  if (run === runs) {
    await sleep(idleSeconds * 1000);
    memoryRows = plane
      .components()
      .map((c) => [c.component, `${residentMiB(c.pid).toFixed(0)} MiB`]);
    const total = plane.components().reduce((sum, c) => sum + residentMiB(c.pid), 0);
    memoryRows.push(["total", `${total.toFixed(0)} MiB`]);
  }
  await plane.stop();
}
startRows.push([
  "median",
  "",
  seconds(median(apiserver)),
  seconds(median(ready)),
  seconds(median(available)),
]);
const reproduce = `npm run bench:control-plane -- --runs ${runs} --idle-seconds ${idleSeconds}`;
printTable(
  "Warm start of the local control plane (binaries cached; 2 cores)",
  ["run", "etcd healthy", "API server ready", "nodes Ready", "Deployment Available"],
  startRows,
  reproduce,
);
printTable(
  `Resident memory after ${idleSeconds} s idle (VmRSS)`,
  ["component", "RSS"],
  memoryRows,
  reproduce,
);
