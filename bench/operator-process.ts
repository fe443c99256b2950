/**
 * Helpers for bench/operator.ts: the operator as a child process (`meshkeeper run`, the node
 * process itself, so its pid is the one whose memory counts), its /metrics read into
 * numbers, kubectl, and small waits. Every child is killed when this process exits.
 */
import { operatorArgs, operatorEnv } from "../operator/local/background-operator.ts";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { CRD_FILE, meshConfigCrdYaml } from "../operator/api/crd.ts";
import { RestClient } from "../operator/kube/rest-client.ts";
import { locateBinary } from "../operator/local/assets.ts";
import { cleanupOnExit } from "../operator/local/cleanup-on-exit.ts";
import { BINARIES } from "../operator/local/components.ts";
import { LocalControlPlane } from "../operator/local/control-plane.ts";

export const KUBECTL = locateBinary(BINARIES.kubectl)?.path ?? "kubectl";

export function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 90_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(intervalMs);
  }
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl; resolves with its exit code and output whatever the code. */
export function kubectl(kubeconfig: string, args: readonly string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      [...args],
      { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function kubectlOk(kubeconfig: string, args: readonly string[]): Promise<string> {
  const result = await kubectl(kubeconfig, args);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** The API requests of a `kubectl -v=6` run, from its request log lines, by verb. */
export function requestsByVerb(stderr: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stderr.split("\n")) {
    const verb =
      /verb="([A-Z]+)"/.exec(line)?.[1] ?? /\] ([A-Z]+) https?:\/\/\S+ \d{3}/.exec(line)?.[1];
    if (verb) counts.set(verb, (counts.get(verb) ?? 0) + 1);
  }
  return counts;
}

/** What the bench reads from /metrics. */
export interface Scrape {
  /** Every write (meshkeeper_api_writes_total), MeshConfig metadata and status included. */
  readonly writes: number;
  /** Writes of managed objects only (not of the MeshConfig itself). */
  readonly objectWrites: number;
  readonly reconciles: number;
  readonly durationSum: number;
  readonly durationCount: number;
  /** The process's CPU time while reconciles ran (meshkeeper_reconcile_cpu_seconds). */
  readonly cpuSum: number;
  readonly cpuCount: number;
  readonly queueDepth: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Writes by kind (every verb), MeshConfig and MeshConfig/status included. */
  readonly writesByKind: ReadonlyMap<string, number>;
  /** Every request sent to the API server, by verb (meshkeeper_api_requests_total). */
  readonly requestsByVerb: ReadonlyMap<string, number>;
  /** Watches restarted after a failure or 410, and lists after each kind's first. */
  readonly watchRestarts: number;
  readonly relists: number;
}

function sumOf(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, "gm"))]
    .map(([, n]) => Number(n))
    .reduce((a, b) => a + b, 0);
}

function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text);
  return Number(match?.[1] ?? 0);
}

export function parseMetrics(text: string): Scrape {
  let writes = 0;
  let objectWrites = 0;
  const writesByKind = new Map<string, number>();
  for (const [, kind = "", n] of text.matchAll(
    /^meshkeeper_api_writes_total\{verb="\w+",kind="([^"]+)"\} ([0-9.e+-]+)$/gm,
  )) {
    writes += Number(n);
    writesByKind.set(kind, (writesByKind.get(kind) ?? 0) + Number(n));
    if (!kind.startsWith("MeshConfig")) objectWrites += Number(n);
  }
  const requestsByVerb = new Map<string, number>();
  for (const [, verb = "", n] of text.matchAll(
    /^meshkeeper_api_requests_total\{verb="(\w+)"\} ([0-9.e+-]+)$/gm,
  )) {
    requestsByVerb.set(verb, Number(n));
  }
  return {
    writes,
    objectWrites,
    reconciles: sumOf(text, "meshkeeper_reconcile_total"),
    durationSum: sample(text, "meshkeeper_reconcile_duration_seconds_sum"),
    durationCount: sample(text, "meshkeeper_reconcile_duration_seconds_count"),
    cpuSum: sample(text, "meshkeeper_reconcile_cpu_seconds_sum"),
    cpuCount: sample(text, "meshkeeper_reconcile_cpu_seconds_count"),
    queueDepth: sample(text, "meshkeeper_workqueue_depth"),
    heapUsedMiB: sample(text, "meshkeeper_nodejs_heap_size_used_bytes") / 1024 / 1024,
    heapTotalMiB: sample(text, "meshkeeper_nodejs_heap_size_total_bytes") / 1024 / 1024,
    writesByKind,
    requestsByVerb,
    watchRestarts: sumOf(text, "meshkeeper_watch_restarts_total"),
    relists: sumOf(text, "meshkeeper_watch_relists_total"),
  };
}

interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly port?: number;
  readonly [field: string]: unknown;
}

/** `meshkeeper run` as a child process, with its log lines and metrics at hand. */
export class OperatorProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  private port = 0;
  /** Whether /readyz answered 200 before any MeshConfig existed. */
  readyBeforeMesh = false;
  private readonly exited: Promise<void>;
  private running = true;
  private readonly unregister: () => void;

  private constructor(kubeconfig: string) {
    this.child = spawn(
      process.execPath,
      operatorArgs(kubeconfig, "--leader-elect", "false", "--log-level", "info"),
      { stdio: ["ignore", "pipe", "pipe"], env: operatorEnv() },
    );
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => {
        this.running = false;
        resolve();
      });
    });
    this.unregister = cleanupOnExit(() => {
      if (this.running) this.child.kill("SIGKILL");
    });
    const keep = (text: string) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.lines.push({ level: "raw", msg: text });
      }
    };
    if (this.child.stdout) createInterface({ input: this.child.stdout }).on("line", keep);
    if (this.child.stderr) createInterface({ input: this.child.stderr }).on("line", keep);
  }

  /** Starts the operator and waits until its caches have listed (/readyz). */
  static async start(kubeconfig: string): Promise<OperatorProcess> {
    const operator = new OperatorProcess(kubeconfig);
    try {
      operator.port = await until(
        "the operator's health server",
        () => {
          if (!operator.running) throw new Error(`the operator exited:\n${operator.tail()}`);
          return operator.lines.find((l) => typeof l.port === "number")?.port;
        },
        30_000,
      );
      await until(
        "the operator's start",
        () => operator.lines.some((l) => l.msg === "meshkeeper operator started"),
        30_000,
      );
      // Its caches list within milliseconds. /readyz cannot be the signal: it waits for
      // every watched kind, Istio's included, which are served only once the operator has
      // installed their CRDs, i.e. after a MeshConfig exists.
      await sleep(1_000);
      operator.readyBeforeMesh = await operator.ready();
      return operator;
    } catch (error) {
      await operator.stop();
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** The command line of the pid whose memory is read: node itself, not a wrapper. */
  commandLine(): string {
    return readFileSync(`/proc/${this.pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  }

  async ready(): Promise<boolean> {
    const response = await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined);
    return response?.status === 200;
  }

  async scrape(): Promise<Scrape> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return parseMetrics(await response.text());
  }

  /**
   * Reconciles that ended in a converge, from the log ("reconciled" or "waiting: ..."):
   * waiting for one by the log costs the operator nothing, where polling /metrics would
   * have it render its metrics while the reconcile being timed runs.
   */
  converges(): number {
    return this.lines.filter((l) => l.msg === "reconciled" || l.msg?.startsWith("waiting: "))
      .length;
  }

  /** Waits until no reconcile has finished for quietMs and nothing is queued. */
  async settle(quietMs = 500, timeoutMs = 60_000): Promise<Scrape> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.scrape();
    let since = Date.now();
    for (;;) {
      await sleep(25);
      const now = await this.scrape();
      if (now.reconciles !== last.reconciles || now.queueDepth > 0) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return now;
      if (Date.now() > deadline) throw new Error("the operator never went quiet");
    }
  }

  tail(count = 20): string {
    return this.lines
      .slice(-count)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }

  /** Warning and error lines logged so far, counted by message (and kind, if any). */
  problems(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of this.lines) {
      if (line.level !== "warn" && line.level !== "error" && line.level !== "raw") continue;
      const err = line.err as { message?: string } | undefined;
      const why = typeof line.reason === "string" ? line.reason : err?.message;
      const reason = why ? `: ${why.slice(0, 300)}` : "";
      const key = `${line.level} "${line.msg ?? ""}"${reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** SIGTERM (graceful), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.unregister();
  }
}

/**
 * The MeshConfig CRD as the sources generate it (what crds/ holds after `npm run
 * generate`), written beside the cluster: the bench measures the code in the tree, even
 * while a change to the schema has not been regenerated into crds/ yet.
 */
function meshCrdFile(dir: string): string {
  const file = join(dir, CRD_FILE);
  writeFileSync(file, meshConfigCrdYaml());
  return file;
}

/** A fresh local control plane with the MeshConfig CRD, a client of it, and the operator. */
export interface OperatorCluster {
  readonly plane: LocalControlPlane;
  readonly client: RestClient;
  readonly operator: OperatorProcess;
}

/** Runs `run` on a fresh OperatorCluster; stops everything after, the operator's log on failure. */
export async function withOperatorCluster<T>(
  run: (cluster: OperatorCluster) => Promise<T>,
): Promise<T> {
  const plane = await LocalControlPlane.start();
  const client = new RestClient(plane.adminConfig());
  let operator: OperatorProcess | undefined;
  try {
    const crd = meshCrdFile(dirname(plane.kubeconfigPath));
    await kubectlOk(plane.kubeconfigPath, ["apply", "--server-side", "-f", crd]);
    const established = ["wait", "--for=condition=Established", "--timeout=60s", "-f", crd];
    await kubectlOk(plane.kubeconfigPath, established);
    operator = await OperatorProcess.start(plane.kubeconfigPath);
    return await run({ plane, client, operator });
  } catch (error) {
    if (operator) {
      await sleep(500); // the last lines of an operator that just died are still in the pipe
      const { exitCode, signalCode } = operator.child;
      console.error(`operator (exit ${exitCode ?? signalCode ?? "none yet"}), last lines:`);
      console.error(operator.tail(40));
    }
    throw error;
  } finally {
    await operator?.stop();
    client.close();
    await plane.stop();
  }
}
