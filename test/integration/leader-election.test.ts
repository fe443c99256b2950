/**
 * Leader election against the real API server, with short timings (2 s lease, 1 s renew
 * deadline, 200 ms retry): one leader of two, fast failover on release, and a leader that
 * stops when its lease is taken or it cannot renew.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import {
  LeaderElector,
  type LeaderElectionOptions,
  type LeaseRecord,
} from "../../operator/kube/leader-election.ts";
import { RestClient, type RequestSpec } from "../../operator/kube/rest-client.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";

/** A client whose requests can be made to fail, like a partitioned replica's. */
class FlakyClient extends RestClient {
  failing = false;

  override async send<T>(spec: RequestSpec): Promise<T> {
    if (this.failing) throw new Error(`${spec.method} ${spec.path}: connection refused`);
    return super.send<T>(spec);
  }
}

const client = new RestClient(adminConfig());
const namespace = "default";
const leases: string[] = [];
const electors: LeaderElector[] = [];
const timings = { leaseDurationMs: 2000, renewDeadlineMs: 1000, retryPeriodMs: 200 };

function leasePath(name: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
}

function newLease(): string {
  const name = uniqueName("lease");
  leases.push(name);
  return name;
}

/** An elector that records its callbacks; started at once. */
function candidate(name: string, identity: string, over: Partial<LeaderElectionOptions> = {}) {
  const events: string[] = [];
  const errors: unknown[] = [];
  const elector = new LeaderElector({
    client,
    namespace,
    name,
    identity,
    ...timings,
    onStartedLeading: () => events.push("started"),
    onStoppedLeading: () => events.push("stopped"),
    onNewLeader: (leader) => events.push(`leader ${leader}`),
    onError: (error) => errors.push(error),
    ...over,
  });
  electors.push(elector);
  elector.start();
  return { elector, events, errors };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

async function readLease(name: string) {
  return client.send<{ metadata: { resourceVersion: string }; spec: LeaseRecord }>({
    method: "GET",
    path: leasePath(name),
  });
}

afterAll(async () => {
  await Promise.all(electors.map((elector) => elector.stop()));
  for (const name of leases)
    await client.send({ method: "DELETE", path: leasePath(name) }).catch(() => undefined);
  client.close();
});

describe("leader election", () => {
  it("of two candidates for one lease, exactly one leads, and keeps leading", async () => {
    const name = newLease();
    const a = candidate(name, "replica-a");
    const b = candidate(name, "replica-b");
    await until(() => a.elector.isLeader || b.elector.isLeader);
    // Several renew periods, and longer than the lease: the leader renews, the other waits.
    for (let i = 0; i < 25; i++) {
      expect(Number(a.elector.isLeader) + Number(b.elector.isLeader)).toBe(1);
      await sleep(100);
    }
    const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
    const identity = a.elector.isLeader ? "replica-a" : "replica-b";
    expect(leader.events).toEqual([`leader ${identity}`, "started"]);
    expect(follower.events).toEqual([`leader ${identity}`]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    const lease = await readLease(name);
    expect(lease.spec).toMatchObject({
      holderIdentity: identity,
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("stop() releases the lease and the other replica takes over within a retry period", async () => {
    const name = newLease();
    const a = candidate(name, "replica-a");
    await until(() => a.elector.isLeader);
    const b = candidate(name, "replica-b");
    await until(() => b.events.includes("leader replica-a"));

    const started = performance.now();
    await a.elector.stop();
    expect(a.elector.isLeader).toBe(false);
    await until(() => b.elector.isLeader);
    const failoverMs = performance.now() - started;
    console.log(`failover after stop(): ${failoverMs.toFixed(0)} ms (lease 2000 ms)`);

    // Released: no waiting out the lease; a deliberate stop is not a loss.
    expect(failoverMs).toBeLessThan(timings.retryPeriodMs + 500);
    expect(a.events).toEqual(["leader replica-a", "started"]);
    expect(b.events).toEqual(["leader replica-a", "leader replica-b", "started"]);
    expect((await readLease(name)).spec).toMatchObject({
      holderIdentity: "replica-b",
      leaseDurationSeconds: 2,
      leaseTransitions: 1,
    });
  });

  it("a leader whose lease is taken over stops leading, and does not take it back", async () => {
    const name = newLease();
    const a = candidate(name, "replica-a");
    await until(() => a.elector.isLeader);

    const lease = await readLease(name);
    const now = new Date().toISOString().replace("Z", "000Z");
    const spec = { ...lease.spec, holderIdentity: "intruder", acquireTime: now, renewTime: now };
    await client.send({ method: "PUT", path: leasePath(name), body: { ...lease, spec } });

    await until(() => a.events.includes("stopped"), 2000);
    expect(a.elector.isLeader).toBe(false);
    expect(a.events).toEqual(["leader replica-a", "started", "leader intruder", "stopped"]);
    // Lost for good: even after the intruder's lease expires, the elector stays out.
    await sleep(timings.leaseDurationMs + 500);
    expect((await readLease(name)).spec.holderIdentity).toBe("intruder");
  });

  it("a leader that cannot renew within the deadline stops; the other takes over after the lease", async () => {
    const name = newLease();
    const flaky = new FlakyClient(adminConfig());
    const a = candidate(name, "replica-a", { client: flaky });
    await until(() => a.elector.isLeader);
    const b = candidate(name, "replica-b");
    await until(() => b.events.includes("leader replica-a"));

    const cut = performance.now();
    flaky.failing = true;
    await until(() => a.events.includes("stopped"));
    const lostMs = performance.now() - cut;
    await until(() => b.elector.isLeader);
    const takeoverMs = performance.now() - cut;
    console.log(
      `renewal cut: lost after ${lostMs.toFixed(0)} ms, taken after ${takeoverMs.toFixed(0)} ms`,
    );

    // The old leader stops before the lease can expire for anyone else: never two leaders.
    expect(lostMs).toBeGreaterThanOrEqual(timings.renewDeadlineMs - timings.retryPeriodMs);
    expect(lostMs).toBeLessThan(timings.leaseDurationMs);
    expect(takeoverMs).toBeGreaterThan(lostMs);
    expect(a.errors.length).toBeGreaterThan(0);
    flaky.close();
  });
});
