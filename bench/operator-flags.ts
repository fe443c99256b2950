/**
 * The operator's resident memory under candidate node flag sets, side by side: for each
 * set a fresh local control plane, the operator bundle (dist/meshkeeper.js, with
 * OPERATOR_ENV) started with those flags, and VmRSS 3 s after each state settles: started,
 * Ready with the production sample, Ready with 20 and with 64 gateways. The companion of
 * `bench:render --node-flags=...` (the render's CPU under the same sets); bench:operator
 * measures the adopted flags (OPERATOR_NODE_FLAGS) in full.
 * Run: npm run bench:operator-flags [-- --node-flags="--a --b" ...]
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { CRD_FILE, meshConfigCrdYaml } from "../operator/api/crd.ts";
import { ensureOperatorBundle } from "../operator/build/operator-bundle.ts";
import { OPERATOR_NODE_FLAGS, operatorEnv } from "../operator/local/background-operator.ts";
import { cleanupOnExit } from "../operator/local/cleanup-on-exit.ts";
import { LocalControlPlane } from "../operator/local/control-plane.ts";
import { kubectl, kubectlOk, residentMiB, until } from "./operator-process.ts";
import { printTable } from "./table.ts";

const { values } = parseArgs({
  options: { "node-flags": { type: "string", multiple: true, default: [] } },
});
const SAMPLE = new URL("../config/samples/production.yaml", import.meta.url).pathname;
const GATEWAY_STEPS = [20, 64];

interface Status {
  metadata: { generation: number };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
}

/** Until the MeshConfig is Ready for its current generation. */
async function ready(kubeconfig: string): Promise<void> {
  await until(
    "MeshConfig Ready",
    async () => {
      const got = await kubectl(kubeconfig, ["get", "meshconfig", "default", "-o", "json"]);
      if (got.code !== 0) return false;
      const mc = JSON.parse(got.stdout) as Status;
      const isReady = mc.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return isReady === true && mc.status?.observedGeneration === mc.metadata.generation;
    },
    300_000,
    500,
  );
}

/** The production sample with gateways gw-1..gw-N, each in its own namespace. */
function withGateways(count: number): string {
  const sample = parse(readFileSync(SAMPLE, "utf8")) as { spec: Record<string, unknown> };
  const gateways = Array.from({ length: count }, (_, i) => ({
    name: `gw-${i + 1}`,
    namespace: `gw-${i + 1}`,
    type: "ingress",
  }));
  return stringify({ ...sample, spec: { ...sample.spec, gateways } });
}

/** The operator's VmRSS in each state, on a fresh cluster, under `flags`. */
async function measure(flags: readonly string[], bundle: string): Promise<number[]> {
  const plane = await LocalControlPlane.start();
  const kubeconfig = plane.kubeconfigPath;
  const args = [...flags, bundle, "run", "--kubeconfig", kubeconfig, "--health-port", "0"];
  const operator = spawn(process.execPath, [...args, "--leader-elect", "false"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: operatorEnv(),
  });
  const unregister = cleanupOnExit(() => operator.kill("SIGKILL"));
  const rss = async () => {
    await sleep(3_000); // the idle collector runs 1 s after the last reconcile
    return residentMiB(operator.pid ?? 0);
  };
  try {
    const crd = join(dirname(kubeconfig), CRD_FILE);
    writeFileSync(crd, meshConfigCrdYaml());
    await kubectlOk(kubeconfig, ["apply", "--server-side", "-f", crd]);
    await kubectlOk(kubeconfig, ["wait", "--for=condition=Established", "-f", crd]);
    const rows = [await rss()];
    await kubectlOk(kubeconfig, ["apply", "--server-side", "-f", SAMPLE]);
    await ready(kubeconfig);
    rows.push(await rss());
    for (const count of GATEWAY_STEPS) {
      const file = join(dirname(kubeconfig), `gateways-${count}.yaml`);
      writeFileSync(file, withGateways(count));
      await kubectlOk(kubeconfig, ["apply", "--server-side", "-f", file]);
      await ready(kubeconfig);
      rows.push(await rss());
    }
    return rows;
  } finally {
    operator.kill("SIGTERM");
    unregister();
    await plane.stop();
  }
}

const variants = [
  { name: "operator", flags: OPERATOR_NODE_FLAGS as readonly string[] },
  ...values["node-flags"].map((flags, i) => ({
    name: `candidate ${i + 1}`,
    flags: flags.split(" ").filter((flag) => flag !== ""),
  })),
];
const bundle = ensureOperatorBundle();
const loadBefore = loadavg()[0] ?? 0;
const rows: string[][] = [];
for (const { name, flags } of variants) {
  const rss = await measure(flags, bundle);
  rows.push([name, flags.join(" "), ...rss.map((mib) => `${mib.toFixed(1)} MiB`)]);
}
const extra = values["node-flags"].map((flags) => ` --node-flags="${flags}"`).join("");
printTable(
  `Operator VmRSS per node flag set (fresh cluster each; Node ${process.version}; ${cpus().length} cores; load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after)`,
  ["node flags", "flags", "started", "Ready", ...GATEWAY_STEPS.map((n) => `${n} gateways`)],
  rows,
  `npm run bench:operator-flags --${extra}`,
);
