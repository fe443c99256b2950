/**
 * `meshkeeper cluster up|down|status|build|serve`: the local control plane for people.
 * `up` returns once the cluster is healthy and prints the KUBECONFIG line; the cluster
 * keeps running in the background (owned by a detached `cluster serve` supervisor, an
 * internal verb) until `down`. Ctrl-C during `up` stops the supervisor it started.
 */
import { stopBackgroundIstiod } from "../local/background-istiod.ts";
import { stopBackgroundOperator } from "../local/background-operator.ts";
import { KubeConfig } from "@kubernetes/client-node";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { surveyBinaries } from "../local/assets.ts";
import {
  backgroundPaths,
  clearStale,
  exportLine,
  readState,
  SUPERVISOR_MARK,
  supervisorRunning,
  writeState,
  type ClusterState,
} from "../local/background.ts";
import { buildBinaries } from "../local/build.ts";
import { ensureGoTool, GO_TOOLS } from "../local/go-tool.ts";
import { cleanupOnExit } from "../local/cleanup-on-exit.ts";
import { BINARIES } from "../local/components.ts";
import { LocalControlPlane } from "../local/control-plane.ts";
import { LocalClusterError } from "../local/errors.ts";
import { httpGet } from "../local/http-probe.ts";
import { isAlive, isOurs, signalGroupIfOurs } from "../local/pids.ts";
import { assertPortFree } from "../local/ports.ts";
import {
  checkCommandLine,
  clusterUpValues,
  CLUSTER_STATUS_USAGE,
  CLUSTER_UP_OPTIONS,
  CLUSTER_UP_USAGE,
  OUTPUT_OPTION,
} from "./usage.ts";
import { outputFormat, parseOptions } from "./args.ts";
import { formatValue } from "./output.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const say = (line: string) => {
  console.log(line);
};

function options(argv: readonly string[]) {
  const values = parseOptions(argv, CLUSTER_UP_OPTIONS, CLUSTER_UP_USAGE);
  return values && clusterUpValues(values);
}

/** Runs in the detached supervisor: owns the components until SIGTERM. */
async function serve(argv: readonly string[]): Promise<void> {
  const parsed = options(argv);
  if (!parsed) return;
  const { port, nodes } = parsed;
  const paths = backgroundPaths();
  const base = {
    pid: process.pid,
    workDir: paths.workDir,
    supervisorLog: paths.supervisorLog,
    startedAt: new Date().toISOString(),
  };
  // Written first, so `down` can stop a cluster that is still building or booting.
  writeState(paths.stateFile, { ...base, phase: "starting" });
  cleanupOnExit(() => {
    clearStale();
  });
  const plane = await LocalControlPlane.start({
    workDir: paths.workDir,
    nodes,
    progress: say,
    ...(port === undefined ? {} : { apiserverPort: port }),
  });
  writeState(paths.stateFile, {
    ...base,
    phase: "ready",
    server: plane.server,
    kubeconfig: plane.kubeconfigPath,
    components: plane.components(),
  });
  // Stay alive; SIGTERM/SIGINT run the cleanups registered above and by the control plane.
  setInterval(() => undefined, 1 << 30);
}

async function up(argv: readonly string[]): Promise<void> {
  const parsed = options(argv);
  if (!parsed) return;
  const { port } = parsed;
  const paths = backgroundPaths();
  const running = readState(paths.stateFile);
  if (supervisorRunning(running)) {
    say(
      `a local cluster is already ${running.phase === "ready" ? "running" : "starting"} (supervisor pid ${running.pid})`,
    );
    // One that is still starting is waited for, so `up` always ends with a usable cluster.
    const ready =
      running.phase === "ready"
        ? running
        : await followUntilUp(running.pid, paths.supervisorLog, paths.stateFile);
    say(exportLine(ready.kubeconfig ?? ""));
    return;
  }
  // A taken port fails here, in the foreground, before anything starts.
  if (port !== undefined) await assertPortFree(port, "kube-apiserver");
  clearStale();
  mkdirSync(paths.root, { recursive: true });
  const log = openSync(paths.supervisorLog, "w");
  const child = spawn(process.execPath, [MAIN, "cluster", "serve", ...argv], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  const pid = child.pid ?? -1;
  // The supervisor is in its own session, so a Ctrl-C here would not reach it: pass it on.
  const stopSupervisor = cleanupOnExit(() => signalGroupIfOurs(pid, "SIGTERM", SUPERVISOR_MARK));
  const state = await followUntilUp(pid, paths.supervisorLog, paths.stateFile);
  stopSupervisor();
  say(`local cluster up: ${state.server ?? ""} (stop it with \`npm run cluster -- down\`)`);
  say(exportLine(state.kubeconfig ?? ""));
}

async function followUntilUp(pid: number, logFile: string, stateFile: string) {
  let printed = 0;
  for (;;) {
    const lines = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n") : [];
    const complete = lines.slice(0, -1);
    for (const line of complete.slice(printed)) say(`  ${line}`);
    printed = complete.length;
    const state = readState(stateFile);
    if (state?.pid === pid && state.phase === "ready") return state;
    if (!isAlive(pid)) throw supervisorFailure(logFile);
    await sleep(200);
  }
}

/** The supervisor's own one-line error, lifted out of its log. */
function supervisorFailure(logFile: string): LocalClusterError {
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
  const reported = /^error: ([\s\S]*?)\n {2}→ (.*)$/m.exec(log);
  return reported?.[1] && reported[2]
    ? new LocalClusterError(`${reported[1]} (full log: ${logFile})`, reported[2])
    : new LocalClusterError(
        `the local cluster failed to start (full log: ${logFile})`,
        "read that log",
      );
}

async function down(): Promise<void> {
  const paths = backgroundPaths();
  const state = readState(paths.stateFile);
  const running = supervisorRunning(state);
  if (await stopBackgroundIstiod()) say("istiod stopped");
  if (await stopBackgroundOperator()) say("operator stopped");
  if (running) {
    // The whole group: the supervisor and any `go build` it is running.
    signalGroupIfOurs(state.pid, "SIGTERM", SUPERVISOR_MARK);
    for (let waited = 0; isAlive(state.pid) && waited < 10_000; waited += 100) await sleep(100);
    signalGroupIfOurs(state.pid, "SIGKILL", SUPERVISOR_MARK);
  }
  clearStale();
  say(running ? "local cluster stopped" : "no local cluster was running");
}

/** GET /readyz as the admin of the kubeconfig: true only for 200. */
async function apiserverReady(kubeconfigPath: string, server: string): Promise<boolean> {
  try {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    const ca = Buffer.from(config.getCurrentCluster()?.caData ?? "", "base64").toString();
    const token = config.getCurrentUser()?.token ?? "";
    return (await httpGet(`${server}/readyz`, { ca, token })).status === 200;
  } catch {
    return false;
  }
}

interface ComponentView {
  readonly component: string;
  readonly pid: number;
  readonly port: number;
  readonly running: boolean;
  readonly logFile: string;
}

function componentViews(state: ClusterState): ComponentView[] {
  return (state.components ?? []).map((c) => ({
    component: c.component,
    pid: c.pid,
    port: c.port,
    running: isOurs(c.pid, state.workDir),
    logFile: c.logFile,
  }));
}

function printComponents(components: readonly ComponentView[]): void {
  say("COMPONENT                 PID      PORT   STATE    LOG");
  for (const c of components) {
    const cells = [c.component.padEnd(25), String(c.pid).padEnd(8), String(c.port).padEnd(6)];
    say(`${cells.join(" ")} ${(c.running ? "running" : "DEAD").padEnd(8)} ${c.logFile}`);
  }
}

async function status(argv: readonly string[]): Promise<number> {
  const values = parseOptions(argv, OUTPUT_OPTION, CLUSTER_STATUS_USAGE);
  if (values === undefined) return 0;
  const format = outputFormat(values.output, ["table", "yaml", "json"], CLUSTER_STATUS_USAGE);
  // With -o yaml|json, stdout carries data only: the reason for having none goes to stderr.
  const tell =
    format === "table"
      ? say
      : (line: string) => {
          console.error(line);
        };
  const state = readState(backgroundPaths().stateFile);
  if (!supervisorRunning(state)) {
    tell("no local cluster is running (start one with `npm run cluster -- up`)");
    return 1;
  }
  if (state.phase === "starting" || !state.server || !state.kubeconfig) {
    tell(`the local cluster is starting (supervisor pid ${state.pid}, log ${state.supervisorLog})`);
    return 1;
  }
  const ready = await apiserverReady(state.kubeconfig, state.server);
  const components = componentViews(state);
  const healthy = ready && components.every((c) => c.running);
  if (format !== "table") {
    const { server, startedAt, kubeconfig } = state;
    const supervisor = { pid: state.pid, log: state.supervisorLog };
    const view = { server, ready, startedAt, supervisor, kubeconfig, components };
    process.stdout.write(formatValue(view, format));
    return healthy ? 0 : 1;
  }
  say(`server      ${state.server} (${ready ? "ready" : "NOT ready"})`);
  say(`started     ${state.startedAt}`);
  say(`supervisor  pid ${state.pid}, log ${state.supervisorLog}`);
  say("");
  printComponents(components);
  say("");
  say(exportLine(state.kubeconfig));
  return healthy ? 0 : 1;
}

async function build(): Promise<void> {
  const { found, missing } = surveyBinaries();
  for (const [key, located] of Object.entries(found))
    say(`${key}: ${located.path} (${located.source})`);
  await buildBinaries(missing);
  if (missing.length > 0) say(`built: ${missing.map((key) => BINARIES[key].name).join(", ")}`);
  // The tests' Go helpers, so no test file pays for a build (cached by source hash).
  say("test helpers (built from tools/ when their sources change):");
  for (const tool of GO_TOOLS) say(`  ${tool}: ${await ensureGoTool(tool)}`);
}

export async function clusterCommand(argv: readonly string[]): Promise<number> {
  if (!checkCommandLine("cluster", argv)) return 0;
  const [verb, ...rest] = argv;
  switch (verb) {
    case "up":
      await up(rest);
      return 0;
    case "down":
      await down();
      return 0;
    case "status":
      return status(rest);
    case "build":
      await build();
      return 0;
    default:
      // checkCommandLine lets only the verbs above and `serve` through.
      await serve(rest);
      return 0;
  }
}
