/**
 * The process wiring behind `meshkeeper run`: caches (watches) feed keys into the
 * workqueue, the workqueue runs the reconciler, and leader election decides whether this
 * replica does any of it. A standby replica serves /healthz and /readyz but watches and
 * writes nothing until it leads.
 */
import { hostname } from "node:os";
import { MESH_LABEL, MANAGED_BY } from "../render/render.ts";
import { Discovery } from "../kube/discovery.ts";
import { EventRecorder } from "../kube/events.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { ObjectCache } from "../kube/object-cache.ts";
import { PodLister } from "../kube/pod-list.ts";
import type { KubeObject } from "../kube/object.ts";
import type { EventType } from "../kube/reflector.ts";
import { RestClient, type ClusterAccess } from "../kube/rest-client.ts";
import { ServerSideApply } from "../kube/server-side-apply.ts";
import { Workqueue } from "../kube/workqueue.ts";
import { MESH_CONFIG_KIND } from "../reconcile/mesh-config-object.ts";
import { OWNED_KINDS } from "../reconcile/owned-kinds.ts";
import { INJECTED_POD_SELECTOR } from "../reconcile/data-plane.ts";
import { Reconciler, type ReconcileOutcome } from "../reconcile/reconciler.ts";
import { startHealthServer, type HealthServer } from "./health-server.ts";
import { newReconcileId, reconcileLogger, type Logger } from "./logger.ts";
import { OperatorMetrics } from "./metrics.ts";

export interface ManagerOptions {
  readonly kubeconfig: ClusterAccess;
  readonly log: Logger;
  /** Port for /healthz, /readyz and /metrics; 0 picks a free one; undefined serves none. */
  readonly healthPort?: number;
  readonly healthHost?: string;
  /** Lease namespace and name; undefined runs without leader election (one replica only). */
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
  readonly identity?: string;
  readonly progressDeadlineMs?: number;
  readonly teardownTimeoutMs?: number;
  readonly resyncMs?: number;
  /** How often a converged mesh's injected pods are counted again (default 30 s). */
  readonly dataPlaneResyncMs?: number;
  /** "external" when OLM installs Istio's CRDs from the bundle (run --istio-crds). */
  readonly istioCrds?: "managed" | "external";
  /** Told of every finished reconcile (tests and benchmarks wait on it). */
  readonly onReconciled?: (key: string, outcome: ReconcileOutcome) => void;
  /** Called when leadership is lost: the process must stop (another replica took over). */
  readonly onLostLeadership?: () => void;
}

/** Only our objects reach the process: the API server filters the watches by label. */
export const OWNED_SELECTOR = `${Object.entries(MANAGED_BY)
  .map(([k, v]) => `${k}=${v}`)
  .join(",")},${MESH_LABEL}`;

/**
 * A CRD's schema is most of its size (Istio's run to hundreds of kilobytes) and the
 * reconciler reads only its status and managed fields; the rendered copy is what we apply.
 */
function keepWhatMatters(object: KubeObject): KubeObject {
  if (object.kind !== "CustomResourceDefinition") return object;
  return Object.fromEntries(
    Object.entries(object).filter(([field]) => field !== "spec"),
  ) as KubeObject;
}

export class Manager {
  readonly client: RestClient;
  readonly metrics = new OperatorMetrics();
  readonly identity: string;
  private readonly options: ManagerOptions;
  private readonly log: Logger;
  private readonly cache: ObjectCache;
  private readonly meshConfigs: ObjectCache;
  private readonly queue: Workqueue;
  private readonly reconciler: Reconciler;
  private readonly triggers = new Map<string, string>();
  private elector: LeaderElector | undefined;
  private health: HealthServer | undefined;
  private running = false;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.log = options.log;
    this.identity = options.identity ?? `${hostname()}-${process.pid}`;
    this.client = new RestClient(options.kubeconfig);
    const discovery = new Discovery(this.client);
    const ssa = new ServerSideApply(this.client, discovery);
    const onRestart = (kind: string, reason: string) => {
      this.metrics.countWatchRestart(kind);
      // Istio's kinds are not served until the operator installs their CRDs: expected. An
      // expired version (after an API server restart, or compaction) costs a list: routine.
      const expected = reason.includes("does not serve");
      const expired = reason.includes("410 Gone");
      this.log[expected ? "debug" : expired ? "info" : "warn"]({ kind, reason }, "watch restarted");
    };
    const onRelist = (kind: string) => {
      this.metrics.countRelist(kind);
    };
    this.cache = new ObjectCache(this.client, discovery, {
      kinds: OWNED_KINDS,
      labelSelector: OWNED_SELECTOR,
      keep: keepWhatMatters,
      onEvent: (type, object) => {
        const labels = object.metadata.labels ?? {};
        this.enqueue(labels[MESH_LABEL] ?? "default", type, object);
      },
      onRestart,
      onRelist,
    });
    this.meshConfigs = new ObjectCache(this.client, discovery, {
      kinds: [MESH_CONFIG_KIND],
      onEvent: (type, object) => {
        this.enqueue(object.metadata.name, type, object);
      },
      onRestart,
      onRelist,
    });
    const events = new EventRecorder(this.client, this.identity, {
      onError: (error) => {
        this.log.warn({ err: error }, "could not record an event");
      },
    });
    this.reconciler = new Reconciler({
      cache: this.cache,
      meshConfigs: this.meshConfigs,
      api: ssa,
      countWrite: (verb, kind) => {
        this.metrics.countWrite(verb, kind);
      },
      log: this.log,
      events,
      ...(options.progressDeadlineMs ? { progressDeadlineMs: options.progressDeadlineMs } : {}),
      ...(options.teardownTimeoutMs ? { teardownTimeoutMs: options.teardownTimeoutMs } : {}),
      ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
      // The data plane: injected pods listed (never watched) for status.revisions.
      pods: new PodLister(this.client, INJECTED_POD_SELECTOR),
      ...(options.dataPlaneResyncMs ? { dataPlaneResyncMs: options.dataPlaneResyncMs } : {}),
      ...(options.istioCrds ? { istioCrds: options.istioCrds } : {}),
    });
    this.queue = new Workqueue((key) => this.runOnce(key), {
      onError: (key, error, retryInMs) => {
        this.log.error({ key, err: error, retryInMs }, "reconcile failed; retrying with backoff");
      },
    });
    this.metrics.trackQueueDepth(() => this.queue.depth);
    this.metrics.trackRequests(() => this.client.requests);
  }

  private enqueue(key: string, type: EventType | "resync", object?: KubeObject): void {
    const what = object
      ? `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata.name}`
      : "";
    this.triggers.set(key, `${type} ${what}`.trim());
    this.queue.add(key);
  }

  private async runOnce(key: string) {
    const log = reconcileLogger(this.log, {
      key,
      trigger: this.triggers.get(key) ?? "requeue",
      reconcileId: newReconcileId(),
    });
    this.triggers.delete(key);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAtStart = process.cpuUsage();
    const cpuSeconds = () => {
      const { user, system } = process.cpuUsage(cpuAtStart);
      return (user + system) / 1e6;
    };
    try {
      const outcome = await this.reconciler.reconcile(key, log);
      this.metrics.observeReconcile(outcome.result, seconds(), cpuSeconds());
      log.debug({ ms: Math.round(seconds() * 1000), writes: outcome.writes }, "reconcile done");
      this.options.onReconciled?.(key, outcome);
      return outcome;
    } catch (error) {
      this.metrics.observeReconcile("error", seconds(), cpuSeconds());
      throw error;
    }
  }

  /** Healthy while the process runs; ready once the caches have listed (or while standby). */
  private isReady(): boolean {
    // Istio's kinds are served only once a mesh installs their CRDs: not waited for.
    const waiting = this.cache.unsyncedKinds().filter((kind) => !kind.includes(".istio.io/"));
    return !this.running || (waiting.length === 0 && this.meshConfigs.synced);
  }

  async start(): Promise<void> {
    if (this.options.healthPort !== undefined) {
      this.health = await startHealthServer({
        port: this.options.healthPort,
        ...(this.options.healthHost ? { host: this.options.healthHost } : {}),
        metrics: this.metrics,
        isHealthy: () => true,
        isReady: () => this.isReady(),
      });
      this.log.info({ port: this.health.port }, "serving /healthz, /readyz and /metrics");
    }
    const election = this.options.leaderElection;
    if (!election) {
      this.startControllers();
      return;
    }
    this.elector = new LeaderElector({
      client: this.client,
      ...election,
      identity: this.identity,
      onStartedLeading: () => {
        this.log.info({ identity: this.identity }, "became the leader");
        this.startControllers();
      },
      onStoppedLeading: () => {
        this.log.error({ identity: this.identity }, "lost leadership; stopping");
        this.options.onLostLeadership?.();
      },
      onNewLeader: (leader) => {
        this.log.info({ leader }, "the leader is");
      },
      onError: (error) => {
        this.log.warn({ err: error }, "leader election request failed");
      },
    });
    this.elector.start();
  }

  get healthPort(): number | undefined {
    return this.health?.port;
  }

  private startControllers(): void {
    this.running = true;
    this.cache.start();
    this.meshConfigs.start();
  }

  /** Graceful: finish the running reconcile, stop watching, release the lease. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all([this.cache.stop(), this.meshConfigs.stop()]);
    await this.elector?.stop();
    await this.health?.close();
    this.client.close();
    this.running = false;
  }
}
