/**
 * The pure decisions of leader election: when a record counts as changed, who may take the
 * lease and when, and what is written to acquire, renew and release it.
 */
import { describe, expect, it } from "vitest";
import {
  LeaderElector,
  decide,
  heldRecord,
  microTime,
  observe,
  releasedRecord,
  type LeaseRecord,
} from "../../../operator/kube/leader-election.ts";
import type { RestClient } from "../../../operator/kube/rest-client.ts";

const t0 = Date.UTC(2026, 0, 1);
const held: LeaseRecord = {
  holderIdentity: "other",
  leaseDurationSeconds: 15,
  acquireTime: microTime(t0),
  renewTime: microTime(t0),
  leaseTransitions: 3,
};

describe("microTime", () => {
  it("writes RFC 3339 with microseconds, as MicroTime requires", () => {
    expect(microTime(t0 + 1234)).toBe("2026-01-01T00:00:01.234000Z");
  });
});

describe("observe", () => {
  it("keeps the first observation time while the record does not change", () => {
    const first = observe(undefined, held, 1000);
    expect(first.observedAt).toBe(1000);
    expect(observe(first, { ...held }, 9000)).toBe(first);
  });

  it("restarts the clock when the holder renews, whatever the renewTime says", () => {
    const first = observe(undefined, held, 1000);
    // A renewTime far in the past (a skewed clock) still counts as a fresh renewal.
    const renewed = { ...held, renewTime: microTime(t0 - 3_600_000) };
    expect(observe(first, renewed, 5000)).toEqual({ record: renewed, observedAt: 5000 });
  });
});

describe("decide", () => {
  const seen = (record: LeaseRecord) => ({ record, observedAt: 1000 });

  it("waits while another holder's lease runs by our clock, takes it once expired", () => {
    expect(decide(seen(held), "me", false, 1000)).toBe("wait");
    expect(decide(seen(held), "me", false, 15_999)).toBe("wait");
    expect(decide(seen(held), "me", false, 16_000)).toBe("take");
  });

  it("ignores the remote renewTime: a lease renewed 'long ago' by the holder's clock still runs", () => {
    const stale = { ...held, renewTime: microTime(0) };
    expect(decide(seen(stale), "me", false, 2000)).toBe("wait");
  });

  it("takes a released lease at once", () => {
    expect(decide(seen(releasedRecord(held, t0)), "me", false, 1000)).toBe("take");
    expect(decide(seen({}), "me", false, 1000)).toBe("take");
  });

  it("renews its own lease, also after a restart with the same identity", () => {
    const mine = { ...held, holderIdentity: "me" };
    expect(decide(seen(mine), "me", true, 1000)).toBe("renew");
    expect(decide(seen(mine), "me", false, 1000)).toBe("renew");
  });

  it("a leader that finds another holder has lost, expired or not", () => {
    expect(decide(seen(held), "me", true, 1000)).toBe("lost");
    expect(decide(seen(held), "me", true, 60_000)).toBe("lost");
  });
});

describe("heldRecord", () => {
  it("creates with no transitions", () => {
    expect(heldRecord(undefined, "me", 15, t0)).toEqual({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      acquireTime: microTime(t0),
      renewTime: microTime(t0),
      leaseTransitions: 0,
    });
  });

  it("taking from another holder counts a transition and sets acquireTime", () => {
    const taken = heldRecord(held, "me", 15, t0 + 20_000);
    expect(taken.leaseTransitions).toBe(4);
    expect(taken.acquireTime).toBe(microTime(t0 + 20_000));
  });

  it("taking a released lease counts a transition too", () => {
    expect(heldRecord(releasedRecord(held, t0), "me", 15, t0).leaseTransitions).toBe(4);
  });

  it("renewing keeps acquireTime and the count, moves renewTime", () => {
    const mine = { ...held, holderIdentity: "me" };
    const renewed = heldRecord(mine, "me", 15, t0 + 2000);
    expect(renewed).toMatchObject({ acquireTime: microTime(t0), leaseTransitions: 3 });
    expect(renewed.renewTime).toBe(microTime(t0 + 2000));
  });
});

describe("releasedRecord", () => {
  it("empties the holder, shortens the lease to 1 s and keeps the count, like client-go", () => {
    expect(releasedRecord({ ...held, holderIdentity: "me" }, t0)).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: microTime(t0),
      renewTime: microTime(t0),
      leaseTransitions: 3,
    });
  });
});

describe("LeaderElector options", () => {
  const base = {
    client: {} as RestClient,
    namespace: "default",
    name: "lease",
    identity: "me",
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
  };

  it("accepts client-go's defaults", () => {
    expect(new LeaderElector(base).isLeader).toBe(false);
  });

  it("refuses a renew deadline the lease could expire before", () => {
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 15_000 })).toThrow(/renewDeadline/);
    expect(() => new LeaderElector({ ...base, retryPeriodMs: 10_000 })).toThrow(/retryPeriod/);
  });
});
