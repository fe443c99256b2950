/**
 * `meshkeeper cluster up|down|status|build|serve`: the local control plane for people.
 * `up` returns once the cluster is healthy and prints the KUBECONFIG line; the cluster
 * keeps running in the background until `down`.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { surveyBinaries } from "../local/assets.ts";
import {
  backgroundPaths,
  clearStale,
  exportLine,
  isAlive,
  readState,
  writeState,
} from "../local/background.ts";
import { buildBinaries } from "../local/build.ts";
import { cleanupOnExit } from "../local/cleanup-on-exit.ts";
import { BINARIES } from "../local/components.ts";
import { LocalControlPlane } from "../local/control-plane.ts";
import { LocalClusterError } from "../local/errors.ts";
import { httpGet } from "../local/http-probe.ts";
import { assertPortFree } from "../local/ports.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const say = (line: string) => {
  console.log(line);
};

function options(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: "string" }, nodes: { type: "string", default: "1" } },
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  const nodes = Number(values.nodes);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new LocalClusterError(`--port ${values.port ?? ""} is not a port number`, "use 1-65535");
  }
  if (!(Number.isInteger(nodes) && nodes >= 1 && nodes <= 100)) {
    throw new LocalClusterError(`--nodes ${values.nodes} is not a node count`, "use 1-100");
  }
  return { port, nodes, forward: argv };
}

/** Runs in the detached supervisor: owns the components until SIGTERM. */
async function serve(argv: readonly string[]): Promise<void> {
  const { port, nodes } = options(argv);
  const paths = backgroundPaths();
  const plane = await LocalControlPlane.start({
    workDir: paths.workDir,
    nodes,
    progress: say,
    ...(port === undefined ? {} : { apiserverPort: port }),
  });
  cleanupOnExit(() => {
    rmSync(paths.stateFile, { force: true });
  });
  writeState(paths.stateFile, {
    pid: process.pid,
    server: plane.server,
    kubeconfig: plane.kubeconfigPath,
    workDir: paths.workDir,
    supervisorLog: paths.supervisorLog,
    startedAt: new Date().toISOString(),
    components: plane.components(),
  });
  // Stay alive; SIGTERM/SIGINT run the cleanups registered by the control plane.
  setInterval(() => undefined, 1 << 30);
}

async function up(argv: readonly string[]): Promise<void> {
  // Bad arguments and a taken port fail here, in the foreground, before anything starts.
  const { port } = options(argv);
  if (port !== undefined) await assertPortFree(port, "kube-apiserver");
  const paths = backgroundPaths();
  const running = readState(paths.stateFile);
  if (running && isAlive(running.pid)) {
    say(`a local cluster is already running at ${running.server}`);
    say(exportLine(running.kubeconfig));
    return;
  }
  clearStale();
  mkdirSync(dirname(paths.supervisorLog), { recursive: true });
  const log = openSync(paths.supervisorLog, "w");
  const child = spawn(process.execPath, [MAIN, "cluster", "serve", ...argv], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  const state = await followUntilUp(child.pid ?? -1, paths.supervisorLog, paths.stateFile);
  say(`local cluster up: ${state.server} (stop it with \`npm run cluster -- down\`)`);
  say(exportLine(state.kubeconfig));
}

async function followUntilUp(pid: number, logFile: string, stateFile: string) {
  let printed = 0;
  for (;;) {
    const lines = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n") : [];
    const complete = lines.slice(0, -1);
    for (const line of complete.slice(printed)) say(`  ${line}`);
    printed = complete.length;
    const state = readState(stateFile);
    if (state?.pid === pid) return state;
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
  if (state && isAlive(state.pid)) {
    process.kill(state.pid, "SIGTERM");
    for (let waited = 0; isAlive(state.pid) && waited < 10_000; waited += 100) await sleep(100);
    if (isAlive(state.pid)) process.kill(state.pid, "SIGKILL");
  }
  clearStale();
  say(state ? "local cluster stopped" : "no local cluster was running");
}

async function status(): Promise<number> {
  const state = readState(backgroundPaths().stateFile);
  if (!state || !isAlive(state.pid)) {
    say("no local cluster is running (start one with `npm run cluster -- up`)");
    return 1;
  }
  const ca = readFileSync(`${state.workDir}/certs/kube-apiserver/apiserver.crt`, "utf8");
  const readyz = await httpGet(`${state.server}/readyz`, { ca }).catch(() => undefined);
  // An unauthenticated request that gets 401 still proves the server answers.
  const answering = readyz !== undefined;
  say(`server      ${state.server} (${answering ? "answering" : "NOT answering"})`);
  say(`started     ${state.startedAt}`);
  say(`supervisor  pid ${state.pid}, log ${state.supervisorLog}`);
  say("");
  say("COMPONENT                 PID      PORT   STATE    LOG");
  for (const c of state.components) {
    const alive = isAlive(c.pid) ? "running" : "DEAD";
    say(
      `${c.component.padEnd(25)} ${String(c.pid).padEnd(8)} ${String(c.port).padEnd(6)} ${alive.padEnd(8)} ${c.logFile}`,
    );
  }
  say("");
  say(exportLine(state.kubeconfig));
  const healthy = answering && state.components.every((c) => isAlive(c.pid));
  return healthy ? 0 : 1;
}

async function build(): Promise<void> {
  const { found, missing } = surveyBinaries();
  for (const [key, located] of Object.entries(found))
    say(`${key}: ${located.path} (${located.source})`);
  await buildBinaries(missing);
  if (missing.length > 0) say(`built: ${missing.map((key) => BINARIES[key].name).join(", ")}`);
}

export async function clusterCommand(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case "up":
      await up(rest);
      return 0;
    case "down":
      await down();
      return 0;
    case "status":
      return status();
    case "build":
      await build();
      return 0;
    case "serve":
      await serve(rest);
      return 0;
    default:
      throw new LocalClusterError(
        `unknown cluster command: ${verb ?? "(none)"}`,
        "use one of: up [--port N] [--nodes N], down, status, build",
      );
  }
}
