/**
 * `meshkeeper demo` (README's main command): the whole product on this machine. Starts the
 * local control plane, installs the MeshConfig CRD, starts the operator in the background,
 * applies the production sample, shows the operator's progress until the mesh is Ready,
 * prints the status table, and says how to look around and how to stop.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { basename } from "node:path";
import { parse } from "yaml";
import { CRD_FILE } from "../api/crd.ts";
import { meshConfigPath } from "../api/distribution.ts";
import { RestClient } from "../kube/rest-client.ts";
import type { ApplyTarget } from "../kube/server-side-apply.ts";
import { locateBinary } from "../local/assets.ts";
import { BINARIES } from "../local/components.ts";
import { startBackgroundIstiod } from "../local/background-istiod.ts";
import { startBackgroundOperator } from "../local/background-operator.ts";
import { ensureIstioBinaries } from "../local/istio-binaries.ts";
import { backgroundPaths, exportLine, readState } from "../local/background.ts";
import { LocalClusterError } from "../local/errors.ts";
import type { MeshConfigObject } from "../reconcile/mesh-config-object.ts";
import { CRDS_DIR } from "../render/istio-crds.ts";
import { DEMO_OPTIONS, DEMO_USAGE, demoValues } from "./usage.ts";
import {
  applyAsUser,
  applyExample,
  type Example,
  exampleOf,
  followGateway,
  gatewaysOf,
  undeployedNote,
} from "./demo-example.ts";
import { parseOptions } from "./args.ts";
import { clusterCommand } from "./cluster.ts";
import { isReady, statusTable } from "./status-table.ts";

const READY_TIMEOUT_MS = 180_000;
const say = (line: string) => {
  console.log(line);
};

async function waitEstablished(client: RestClient, name: string): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const crd = await client.send<{ status?: { conditions?: { type: string; status: string }[] } }>(
      { method: "GET", path },
    );
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"))
      return;
    await sleep(100);
  }
  throw new LocalClusterError(`CRD ${name} did not become Established`, "check the API server log");
}

/** What the operator says it is doing, from the MeshConfig's conditions. */
function activity(mc: MeshConfigObject): string {
  const conditions = mc.status?.conditions ?? [];
  const find = (type: string) => conditions.find((c) => c.type === type);
  const ready = find("Ready");
  const reconciling = find("Reconciling");
  if (!reconciling) return "waiting for the operator to pick the MeshConfig up";
  if (ready?.status === "True") return `Ready: ${ready.message}`;
  return reconciling.status === "True" ? reconciling.message : (ready?.message ?? "");
}

async function followUntilReady(client: RestClient): Promise<MeshConfigObject> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const mc = await client.send<MeshConfigObject>({ method: "GET", path: meshConfigPath() });
    const line = activity(mc);
    if (line !== last) say(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${line}`);
    last = line;
    if (isReady(mc)) return mc;
    if (Date.now() - started > READY_TIMEOUT_MS)
      throw new LocalClusterError(
        `the mesh did not become Ready within ${READY_TIMEOUT_MS / 1000} s`,
        "see `npm run meshkeeper -- status` and the operator log",
      );
    await sleep(250);
  }
}

/** The kubectl the project built, when the machine has none on PATH. */
function kubectlAlias(): string {
  const path = locateBinary(BINARIES.kubectl)?.path;
  return path ? `\n  alias kubectl=${path}` : "";
}

export async function demoCommand(argv: readonly string[]): Promise<number> {
  const flags = parseOptions(argv, DEMO_OPTIONS, DEMO_USAGE);
  if (flags === undefined) return 0;
  const { istiod, sample } = demoValues(flags);
  return demo(istiod, sample);
}

/**
 * `--istiod`: Istio's own istiod (built from tools/istio on first use) beside the cluster,
 * with exactly what the operator applied. The istiod Deployment's pod stays KWOK-simulated;
 * this process is the real control plane, and the table below says so.
 */
async function startRealIstiod(kubeconfig: string): Promise<string> {
  const binaries = await ensureIstioBinaries(process.env, (line) => {
    say(`[istio] ${line}`);
  });
  const { state, started } = await startBackgroundIstiod({
    kubeconfig,
    binary: binaries.pilotDiscovery,
  });
  const xds = `--xds-address 127.0.0.1:${state.ports.grpc} --plaintext`;
  say(`
real istiod ${started ? "started" : "already running"} (Istio ${state.version}, pilot-discovery built from tools/istio):
  what       real process                                   simulated by KWOK
  istiod     pid ${String(state.supervisorPid).padEnd(8)} (supervisor), ready on 127.0.0.1   Deployment ${state.namespace}/${state.deployment}'s pod
  ports      http ${state.ports.http}, xDS ${state.ports.grpc}, xDS+CA ${state.ports.secureGrpc}, webhooks ${state.ports.webhook}, metrics ${state.ports.monitoring}
  log        ${state.log}`);
  return `
with the real istiod:
  alias istioctl=${binaries.istioctl}
  istioctl analyze -A --suppress "IST0147=Pod *"   # KWOK's pods are never injected (docs/istio.md)
  istioctl x precheck; istioctl tag list; istioctl x injector list
  istioctl x proxy-status ${xds}   # answered by the real istiod
  curl -s http://127.0.0.1:${state.ports.http}/ready; curl -s http://127.0.0.1:${state.ports.monitoring}/metrics | head`;
}

/** Where to look at the example: its namespaces' Gateway API objects and workloads. */
function exampleHints(example: Example): string {
  const namespaces = [
    ...new Set(
      example.objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])),
    ),
  ];
  return namespaces
    .map(
      (ns) =>
        `\n  kubectl -n ${ns} get gateway,httproute,deployments,services,authorizationpolicies`,
    )
    .join("");
}

/** The example's Gateways: followed until istiod deployed them, or why nothing does. */
async function reportGateways(config: KubeConfig, example: Example, withIstiod: boolean) {
  const gateways = gatewaysOf(example);
  if (gateways.length === 0) return;
  if (!withIstiod) {
    say(`\n${undeployedNote(gateways)}`);
    return;
  }
  const client = new RestClient(config);
  try {
    for (const gateway of gateways) say(`\n${await followGateway(client, gateway)}`);
  } finally {
    client.close();
  }
}

async function demo(withIstiod: boolean, sample: string): Promise<number> {
  const code = await clusterCommand(["up"]);
  if (code !== 0) return code;
  const kubeconfig = readState(backgroundPaths().stateFile)?.kubeconfig;
  if (!kubeconfig)
    throw new LocalClusterError(
      "the local cluster has no kubeconfig",
      "run `npm run cluster -- down` and try again",
    );
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const client = new RestClient(config);
  const example = exampleOf(sample);
  try {
    const crd = parse(readFileSync(`${CRDS_DIR}${CRD_FILE}`, "utf8")) as ApplyTarget;
    await applyAsUser(client, crd);
    await waitEstablished(client, crd.metadata.name);
    say(`\ninstalled the MeshConfig CRD (${crd.metadata.name})`);
    const operator = startBackgroundOperator(kubeconfig);
    say(
      `operator ${operator.started ? "started" : "already running"} in the background (pid ${operator.pid}), log: ${operator.log}`,
    );
    await applyAsUser(client, parse(readFileSync(sample, "utf8")) as ApplyTarget);
    say(
      `applied config/samples/${basename(sample)} (MeshConfig default); the operator is converging:`,
    );
    const mc = await followUntilReady(client);
    say(`\n${statusTable(mc, new Date())}`);
    // The sample's example (config/samples/<sample>/), into the Ready mesh.
    if (example)
      say(`\napplied ${example.folder}: ${(await applyExample(client, example)).join(", ")}`);
  } finally {
    client.close();
  }
  const istiodHints = withIstiod ? await startRealIstiod(kubeconfig) : "";
  if (example) await reportGateways(config, example, withIstiod);
  say(`
look around:
  ${exportLine(kubeconfig)}${kubectlAlias()}
  kubectl get meshconfig                      # Ready, Version, Namespace, Reason, Age
  kubectl get deployments,services -A -l app.kubernetes.io/managed-by=meshkeeper
  kubectl -n istio-system delete service istiod   # the operator puts it back within a second
  npm run meshkeeper -- status                # this table again
  npm run demo -- --istiod                    # also run the real istiod${example ? exampleHints(example) : ""}${istiodHints}
stop everything (operator${withIstiod ? ", istiod" : ""} and cluster):
  npm run cluster -- down`);
  return 0;
}
