/**
 * Leader election on a coordination.k8s.io Lease, with client-go's contract, so two
 * replicas can run and only one reconciles:
 *   - expiry is judged by OUR clock from when we saw the record last change, never by the
 *     renewTime written by another machine (clocks differ between nodes);
 *   - every write is a PUT with the resourceVersion we read: of two candidates, one gets
 *     409 Conflict and simply tries again later;
 *   - the leader renews every retry period; if no renewal succeeds for the renew deadline
 *     (shorter than the lease, so it stops before anyone may take over), or the lease shows
 *     another holder, leadership is lost: onStoppedLeading, and the elector stops for good;
 *   - stop() releases the lease (empty holder, 1 s duration), so the other replica takes
 *     over within one retry period instead of waiting out the lease.
 * The decisions are pure functions below; the class only moves records to and from the API.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { microTime as microTimeOf, systemClock, type Clock } from "./clock.ts";
import { isConflict, isNotFound } from "./errors.ts";
import type { RestClient } from "./rest-client.ts";

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseRecord;
}

/** A record and the local time at which we first saw it in this exact state. */
export interface Observation {
  readonly record: LeaseRecord;
  readonly observedAt: number;
}

export type Decision = "renew" | "take" | "wait" | "lost";

/** Kubernetes MicroTime of a time in epoch milliseconds (the elector counts in them). */
export function microTime(ms: number): string {
  return microTimeOf(new Date(ms));
}

/** What makes two records the same one (client-go compares the whole record). */
const recordFields = [
  "holderIdentity",
  "leaseDurationSeconds",
  "acquireTime",
  "renewTime",
  "leaseTransitions",
] as const;

/** Keeps the old observation time while the record is unchanged: a silent holder ages. */
export function observe(
  previous: Observation | undefined,
  record: LeaseRecord,
  now: number,
): Observation {
  const same = previous && recordFields.every((field) => previous.record[field] === record[field]);
  return same ? previous : { record, observedAt: now };
}

export function decide(
  observation: Observation,
  identity: string,
  leading: boolean,
  now: number,
): Decision {
  const holder = observation.record.holderIdentity ?? "";
  if (holder === identity) return "renew";
  // Another name on a lease we held: it was taken while we thought we led. Stop at once.
  if (leading) return "lost";
  const durationMs = (observation.record.leaseDurationSeconds ?? 0) * 1000;
  if (holder === "" || now >= observation.observedAt + durationMs) return "take";
  return "wait";
}

/** The record to write to hold the lease: a renewal keeps acquireTime and the count. */
export function heldRecord(
  current: LeaseRecord | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): LeaseRecord {
  const renewal = current?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewal ? (current.acquireTime ?? microTime(now)) : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: (current?.leaseTransitions ?? 0) + (renewal || !current ? 0 : 1),
  };
}

/** client-go's release: no holder, and a 1 s duration for readers that ignore the holder. */
export function releasedRecord(current: LeaseRecord, now: number): LeaseRecord {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: microTime(now),
    renewTime: microTime(now),
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}

export interface LeaderElectionOptions {
  readonly client: RestClient;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (the pod name): two replicas with one identity would both lead. */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** Callbacks must not throw. */
  readonly onStartedLeading: () => void;
  /** Leadership was lost (not asked for by stop()): the caller should stop working, exit. */
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string) => void;
  /** A failed request or release, for logs; the elector retries on its own. */
  readonly onError?: (error: unknown) => void;
  readonly clock?: Clock;
}

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly path: string;
  private readonly leaseSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly stopping = new AbortController();
  private observation: Observation | undefined;
  /** The lease as we last wrote it: the release reuses its resourceVersion, no extra GET. */
  private held: Lease | undefined;
  private renewedAt = 0;
  private leading = false;
  private reportedLeader = "";
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    const { namespace, name } = options;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
    this.leaseSeconds = Math.ceil((options.leaseDurationMs ?? 15_000) / 1000);
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    const clock = options.clock ?? systemClock;
    this.now = () => clock.now().getTime();
    if (
      this.renewDeadlineMs >= this.leaseSeconds * 1000 ||
      this.retryPeriodMs >= this.renewDeadlineMs
    )
      throw new Error("leader election needs retryPeriod < renewDeadline < leaseDuration");
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop and, if leading, releases the lease. Stop the work it guards first. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.leading = false;
    if (!this.held) return;
    const lease = { ...this.held, spec: releasedRecord(this.held.spec, this.now()) };
    this.held = undefined;
    // A 409 means the lease changed hands already: nothing of ours left to release.
    await this.request("PUT", this.path, lease).catch((error: unknown) => {
      this.report(error);
    });
  }

  private async run(): Promise<void> {
    while (!this.isStopping()) {
      const started = this.now();
      const decision = await this.attempt().catch((error: unknown) => {
        this.report(error);
        return "failed" as const;
      });
      if (decision === "renew" || decision === "take") {
        this.renewedAt = started;
        // Won while stop() was waiting for us: hold it only for stop() to release.
        if (!this.leading && !this.isStopping()) {
          this.leading = true;
          this.options.onStartedLeading();
        }
      } else if (this.leading && (decision === "lost" || this.deadlinePassed())) {
        this.leading = false;
        this.held = undefined;
        this.options.onStoppedLeading();
        return;
      }
      await sleep(this.retryPeriodMs, undefined, { signal: this.stopping.signal }).catch(() => {
        // Aborted by stop(): the loop condition ends it.
      });
    }
  }

  /** A method, not the signal's field: stop() flips it while the loop awaits. */
  private isStopping(): boolean {
    return this.stopping.signal.aborted;
  }

  private deadlinePassed(): boolean {
    return this.now() - this.renewedAt >= this.renewDeadlineMs;
  }

  private report(error: unknown): void {
    // Conflict: another candidate wrote between our read and write. Expected; retry later.
    if (isConflict(error)) return;
    this.options.onError?.(error);
  }

  /** One read and, if we may hold the lease, one write. */
  private async attempt(): Promise<Decision> {
    const current = await this.request("GET", this.path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    const now = this.now();
    if (!current) {
      const spec = heldRecord(undefined, this.options.identity, this.leaseSeconds, now);
      const metadata = { name: this.options.name, namespace: this.options.namespace };
      const body = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata, spec };
      const collection = this.path.slice(0, this.path.lastIndexOf("/"));
      this.hold(await this.request("POST", collection, body), now);
      return "take";
    }
    this.observation = observe(this.observation, current.spec, now);
    this.reportLeader(current.spec.holderIdentity ?? "");
    const decision = decide(this.observation, this.options.identity, this.leading, now);
    if (decision === "lost" || decision === "wait") return decision;
    const spec = heldRecord(current.spec, this.options.identity, this.leaseSeconds, now);
    this.hold(await this.request("PUT", this.path, { ...current, spec }), now);
    return decision;
  }

  private request(method: "GET" | "PUT" | "POST", path: string, body?: Lease): Promise<Lease> {
    // A leader's request may not outlive its renew deadline: a hung connection must not
    // keep it "leading" past the point where another replica may take over.
    const timeoutMs = this.leading
      ? Math.max(1, this.renewedAt + this.renewDeadlineMs - this.now())
      : this.renewDeadlineMs;
    return this.options.client.send<Lease>({ method, path, body, timeoutMs });
  }

  private hold(lease: Lease, now: number): void {
    this.held = lease;
    this.observation = { record: lease.spec, observedAt: now };
    this.reportLeader(this.options.identity);
  }

  private reportLeader(identity: string): void {
    if (identity === "" || identity === this.reportedLeader) return;
    this.reportedLeader = identity;
    this.options.onNewLeader?.(identity);
  }
}
