/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and KWOK, with RBAC on, token-authenticated admin access and simulated
 * nodes. Deployments really roll out: the scheduler binds pods, KWOK marks them Running and
 * Ready, and the controller-manager reports the Deployment Available.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupOnExit } from "./cleanup-on-exit.ts";
import * as args from "./component-args.ts";
import type { BinaryPaths } from "./components.ts";
import type { Progress } from "./build.ts";
import { ensureBinaries } from "./ensure-binaries.ts";
import {
  kubeconfig,
  makeIdentities,
  serviceAccountKeyPair,
  tokenFile,
  type Identities,
} from "./credentials.ts";
import { waitUntilHealthy } from "./health.ts";
import { httpGet } from "./http-probe.ts";
import {
  KWOK_NODE_LABEL,
  kwokConfiguration,
  podLatencyFromEnv,
  type PodLatency,
} from "./kwok-stages.ts";
import { layoutOf, logFileOf, type Layout, type Ports } from "./layout.ts";
import { createReadyNodes } from "./nodes.ts";
import { assertPortFree, freePort, LOOPBACK } from "./ports.ts";
import { ManagedProcess } from "./process.ts";
import { reap } from "./watchdog.ts";

export interface StartOptions {
  /** Port of the API server; a free one when unset. */
  readonly apiserverPort?: number;
  /** Number of KWOK nodes (default 1). */
  readonly nodes?: number;
  /** Work folder; a new temporary one when unset. It is removed on stop. */
  readonly workDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly progress?: Progress;
  /** How long each component may take to become healthy (default 60 s). */
  readonly componentTimeoutMs?: number;
  /**
   * How long KWOK takes scheduled pods to Running and then to Ready. Unset: from
   * MESHKEEPER_POD_START_MS / MESHKEEPER_POD_READY_MS / MESHKEEPER_POD_JITTER_MS, else at once.
   */
  readonly podLatency?: PodLatency;
}

export interface ComponentInfo {
  readonly component: string;
  readonly pid: number;
  readonly logFile: string;
  readonly port: number;
}

const WATCHDOG = fileURLToPath(new URL("./watchdog.ts", import.meta.url));

async function allocatePorts(apiserverPort: number | undefined): Promise<Ports> {
  if (apiserverPort !== undefined) await assertPortFree(apiserverPort, "kube-apiserver");
  return {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: apiserverPort ?? (await freePort()),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
  };
}

function prepareFolders(layout: Layout): void {
  for (const dir of [layout.etcdData, layout.logs, layout.apiserverCerts]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  mkdirSync(layout.controllerManagerCerts, { recursive: true });
  mkdirSync(layout.schedulerCerts, { recursive: true });
  writeFileSync(layout.owner, `${process.pid}\n`);
}

function writeCredentials(layout: Layout, identities: Identities, latency: PodLatency): void {
  const keys = serviceAccountKeyPair();
  writeFileSync(layout.serviceAccountKey, keys.privateKey, { mode: 0o600 });
  writeFileSync(layout.serviceAccountPublicKey, keys.publicKey);
  writeFileSync(layout.tokens, tokenFile(identities), { mode: 0o600 });
  writeFileSync(layout.kwokConfig, kwokConfiguration(latency));
}

export class LocalControlPlane {
  readonly layout: Layout;
  readonly ports: Ports;
  readonly identities: Identities;
  private readonly processes: ManagedProcess[] = [];
  private readonly unregisterCleanup: () => void;
  private caPem = "";
  /** stop() has begun (graceful, in order); killNow() may still cut it short. */
  private stopping = false;
  /** Everything is gone: nothing left to stop or kill. */
  private stopped = false;
  /** Milliseconds from the start of boot until each milestone; read by the benchmarks. */
  readonly timings: Partial<Record<"etcd" | "apiserver" | "controllers" | "nodes", number>> = {};

  private constructor(layout: Layout, ports: Ports) {
    this.layout = layout;
    this.ports = ports;
    this.identities = makeIdentities();
    this.unregisterCleanup = cleanupOnExit(() => {
      this.killNow();
    });
  }

  /** Starts every component and waits until each is healthy and the nodes are Ready. */
  static async start(options: StartOptions = {}): Promise<LocalControlPlane> {
    const progress = options.progress ?? (() => undefined);
    const binaries = await ensureBinaries(options.env ?? process.env, progress);
    const ports = await allocatePorts(options.apiserverPort);
    const root = options.workDir ?? mkdtempSync(join(tmpdir(), "meshkeeper-cluster-"));
    const plane = new LocalControlPlane(layoutOf(root), ports);
    try {
      await plane.boot(binaries, options, progress);
      return plane;
    } catch (error) {
      await plane.stop();
      throw error;
    }
  }

  get server(): string {
    return `https://${LOOPBACK}:${this.ports.apiserver}`;
  }

  get kubeconfigPath(): string {
    return this.layout.kubeconfig;
  }

  /** The API server's CA bundle (PEM), for clients that verify TLS. */
  get certificateAuthority(): string {
    return this.caPem;
  }

  components(): ComponentInfo[] {
    const portOf: Record<string, number> = {
      etcd: this.ports.etcdClient,
      "kube-apiserver": this.ports.apiserver,
      "kube-controller-manager": this.ports.controllerManager,
      "kube-scheduler": this.ports.scheduler,
      kwok: this.ports.kwok,
    };
    return this.processes.map((p) => ({
      component: p.component,
      pid: p.pid,
      logFile: p.logFile,
      port: portOf[p.component] ?? 0,
    }));
  }

  /** A client configuration for the admin user. */
  adminConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromFile(this.layout.kubeconfig);
    return config;
  }

  private async boot(binaries: BinaryPaths, options: StartOptions, progress: Progress) {
    const timeoutMs = options.componentTimeoutMs ?? 60_000;
    const { layout, ports } = this;
    const started = Date.now();
    const mark = (milestone: keyof LocalControlPlane["timings"]) => {
      this.timings[milestone] = Date.now() - started;
      return `${((Date.now() - started) / 1000).toFixed(1)}s`;
    };
    prepareFolders(layout);
    writeCredentials(
      layout,
      this.identities,
      options.podLatency ?? podLatencyFromEnv(options.env ?? process.env),
    );
    this.startWatchdog();

    const etcd = this.launch("etcd", binaries.etcd, args.etcdArgs(layout, ports));
    await waitUntilHealthy(etcd, () => this.etcdHealthy(), timeoutMs);
    progress(`etcd healthy (${mark("etcd")})`);

    const apiserver = this.launch(
      "kube-apiserver",
      binaries.kubeApiserver,
      args.apiserverArgs(layout, ports),
    );
    await waitUntilHealthy(apiserver, () => this.apiserverReady(), timeoutMs);
    progress(`kube-apiserver ready at ${this.server} (${mark("apiserver")})`);

    this.writeKubeconfigs();
    const { kubeControllerManager, kubeScheduler } = binaries;
    const controllerManager = this.launch(
      "kube-controller-manager",
      kubeControllerManager,
      args.controllerManagerArgs(layout, ports),
    );
    const scheduler = this.launch(
      "kube-scheduler",
      kubeScheduler,
      args.schedulerArgs(layout, ports),
    );
    const kwok = this.launch("kwok", binaries.kwok, args.kwokArgs(layout, ports, KWOK_NODE_LABEL));
    await Promise.all([
      waitUntilHealthy(
        controllerManager,
        () => this.secureHealthz(ports.controllerManager),
        timeoutMs,
      ),
      waitUntilHealthy(scheduler, () => this.secureHealthz(ports.scheduler), timeoutMs),
      waitUntilHealthy(kwok, () => this.kwokHealthy(), timeoutMs),
    ]);
    progress(`kube-controller-manager, kube-scheduler and kwok healthy (${mark("controllers")})`);

    await createReadyNodes(this.adminConfig(), options.nodes ?? 1, kwok, timeoutMs);
    progress(`${options.nodes ?? 1} KWOK node(s) Ready (${mark("nodes")})`);
  }

  /**
   * Stops the API server and starts it again on the same port, certificates and etcd (as a
   * real upgrade or crash would): tests check that watches and the operator survive it.
   */
  async restartApiserver(timeoutMs = 60_000): Promise<void> {
    const index = this.processes.findIndex((p) => p.component === "kube-apiserver");
    const old = this.processes[index];
    if (!old) throw new Error("the API server is not running");
    await old.stop();
    this.processes.splice(index, 1);
    const apiserver = this.launch("kube-apiserver", old.spec.binary, [...old.spec.args]);
    await waitUntilHealthy(apiserver, () => this.apiserverReady(), timeoutMs);
    // A controller-manager still starting up exits when its API server goes away; a real
    // node's kubelet would restart it, so do the same for any component that died.
    for (const dead of this.processes.filter((p) => !p.running)) {
      this.processes.splice(this.processes.indexOf(dead), 1);
      this.launch(dead.component, dead.spec.binary, [...dead.spec.args]);
    }
  }

  private launch(component: string, binary: string, argv: string[]): ManagedProcess {
    const process = new ManagedProcess({
      component,
      binary,
      args: argv,
      logFile: logFileOf(this.layout, component),
    });
    this.processes.push(process);
    if (process.pid > 0) appendFileSync(this.layout.pids, `${process.pid}\n`);
    return process;
  }

  private startWatchdog(): void {
    const watchdog = spawn(process.execPath, [WATCHDOG, String(process.pid), this.layout.root], {
      detached: true,
      stdio: "ignore",
    });
    watchdog.unref();
  }

  private async etcdHealthy(): Promise<boolean> {
    const response = await httpGet(`http://${LOOPBACK}:${this.ports.etcdClient}/health`);
    return response.status === 200 && response.body.includes('"health":"true"');
  }

  private async apiserverReady(): Promise<boolean> {
    // The serving certificate appears in --cert-dir just before the port opens.
    if (!existsSync(this.layout.apiserverCertificate)) return false;
    this.caPem = readFileSync(this.layout.apiserverCertificate, "utf8");
    const response = await httpGet(`${this.server}/readyz`, {
      ca: this.caPem,
      token: this.identities.admin.token,
    });
    return response.status === 200;
  }

  private async secureHealthz(port: number): Promise<boolean> {
    // Their serving certificates are self-signed and thrown away; only liveness matters.
    const response = await httpGet(`https://${LOOPBACK}:${port}/healthz`, { insecure: true });
    return response.status === 200;
  }

  private async kwokHealthy(): Promise<boolean> {
    const response = await httpGet(`http://${LOOPBACK}:${this.ports.kwok}/healthz`);
    return response.status === 200;
  }

  private writeKubeconfigs(): void {
    const { layout, identities } = this;
    const write = (path: string, id: keyof Identities) => {
      writeFileSync(path, kubeconfig(this.server, this.caPem, identities[id]), { mode: 0o600 });
    };
    write(layout.kubeconfig, "admin");
    write(layout.controllerManagerKubeconfig, "controllerManager");
    write(layout.schedulerKubeconfig, "scheduler");
    write(layout.kwokKubeconfig, "kwok");
  }

  /** Stops every component (reverse start order) and removes the work folder. */
  async stop(): Promise<void> {
    if (this.stopping || this.stopped) return;
    this.stopping = true;
    for (const process of [...this.processes].reverse()) await process.stop();
    rmSync(this.layout.root, { recursive: true, force: true });
    this.stopped = true;
    this.unregisterCleanup();
  }

  private killNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const process of this.processes) process.killNow();
    reap(this.layout.root);
  }
}
