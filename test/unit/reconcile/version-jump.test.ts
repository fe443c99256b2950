/**
 * In-place jumps (version-jump.ts): Istio's in-place policy (one minor up or down, any
 * patch), judged against the live istiod, and on the fake cluster: a refused jump is
 * Stalled/UnsupportedVersion naming spec.version, with only the status written.
 */
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { ConditionType, Reason } from "../../../operator/api/conditions.ts";
import { inPlaceJumpRefusal, minorDistance } from "../../../operator/reconcile/version-jump.ts";
import { MINIMAL, World } from "./reconcile-world.ts";

function spec(version: string, extra: Record<string, unknown> = {}) {
  const validation = validateSpec({ ...MINIMAL, ...extra, version });
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.spec;
}

describe("inPlaceJumpRefusal", () => {
  const cases: [string, string | undefined, string, boolean][] = [
    ["first install", undefined, "1.31.1", true],
    ["same version", "1.30.5", "1.30.5", true],
    ["patch upgrade", "1.30.0", "1.30.5", true],
    ["patch downgrade", "1.30.5", "1.30.0", true],
    ["minor upgrade", "1.30.5", "1.31.1", true],
    ["minor downgrade", "1.31.1", "1.30.5", true],
    ["two minors up", "1.29.4", "1.31.1", false],
    ["two minors down", "1.31.1", "1.29.4", false],
  ];
  it.each(cases)("%s: %s -> %s allowed %s", (_name, running, target, allowed) => {
    const live = running ? [{ name: "default", version: running }] : [];
    const refusal = inPlaceJumpRefusal(spec(target), live);
    expect(refusal === undefined).toBe(allowed);
    if (refusal) {
      expect(refusal.reason).toBe("UnsupportedVersion");
      expect(refusal.message).toContain(`spec.version ${target}`);
      expect(refusal.message).toContain(`running ${running ?? ""}`);
      expect(refusal.message).toContain("istio.io/latest/docs/setup/upgrade/in-place");
    }
  });

  it("names the next step", () => {
    const up = inPlaceJumpRefusal(spec("1.31.1"), [{ name: "default", version: "1.29.4" }]);
    expect(up?.message).toContain("Upgrade to 1.30.x first");
    const down = inPlaceJumpRefusal(spec("1.29.4"), [{ name: "default", version: "1.31.1" }]);
    expect(down?.message).toContain("downgrade");
    expect(down?.message).toContain("Downgrade to 1.30.x first");
  });

  it("judges only the revision applied in place, and never RevisionBased", () => {
    const other = [{ name: "canary", version: "1.29.4" }];
    expect(inPlaceJumpRefusal(spec("1.31.1"), other)).toBeUndefined();
    const revisionBased = spec("1.31.1", { updateStrategy: { type: "RevisionBased" } });
    expect(inPlaceJumpRefusal(revisionBased, [{ name: "default", version: "1.29.4" }])).toBe(
      undefined,
    );
  });

  it("falls back to the recorded version only when no live istiod is known", () => {
    expect(inPlaceJumpRefusal(spec("1.31.1"), [], "1.29.4")?.reason).toBe("UnsupportedVersion");
    expect(
      inPlaceJumpRefusal(spec("1.31.1"), [{ name: "default", version: "1.30.5" }], "1.29.4"),
    ).toBeUndefined();
  });

  it("counts minor versions within a major only", () => {
    expect(minorDistance("1.29.4", "1.31.0")).toBe(2);
    expect(minorDistance("1.31.0", "1.30.9")).toBe(-1);
    expect(minorDistance("1.31.0", "2.0.0")).toBeUndefined();
  });
});

describe("a too-far in-place jump on the fake cluster", () => {
  it("is Stalled/UnsupportedVersion with only the status written, then a one-minor step goes", async () => {
    const world = new World();
    await world.meshConfig({ ...MINIMAL, version: "1.29.4" });
    await world.converge();
    world.cluster.writes.length = 0;
    await world.meshConfig({ ...MINIMAL, version: "1.31.1" });
    const outcome = await world.reconcile();
    expect(outcome.result).toBe("stalled");
    const { mc, conditions } = await world.status();
    expect(conditions[ConditionType.Stalled]).toEqual(["True", Reason.UnsupportedVersion]);
    const stalled = mc?.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled?.message).toContain("spec.version 1.31.1");
    expect(world.cluster.writes.filter((w) => w.verb !== "status")).toEqual([]);
    const istiod = world.find("Deployment", "istiod", "istio-system");
    expect(istiod?.metadata.labels?.["meshkeeper.dev/istio-version"]).toBe("1.29.4");

    await world.meshConfig({ ...MINIMAL, version: "1.30.5" });
    await world.converge();
    expect(
      world.find("Deployment", "istiod", "istio-system")?.metadata.labels?.[
        "meshkeeper.dev/istio-version"
      ],
    ).toBe("1.30.5");
    expect((await world.status()).conditions[ConditionType.Ready]?.[0]).toBe("True");
  });
});
