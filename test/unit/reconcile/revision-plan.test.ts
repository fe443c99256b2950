/**
 * planRevisions (reconcile/revision-plan.ts) as a table: where the default tag points, which
 * old revisions stay, when an unused one goes, and when to run again, from the cluster as
 * a reconcile finds it. Plus reading the live revisions back from our istiod Deployments.
 */
import { describe, expect, it } from "vitest";
import type { MeshConfigSpecInput } from "../../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import type { KubeObject } from "../../../operator/kube/object.ts";
import {
  IN_USE_POLL_MS,
  liveRevisions,
  liveTag,
  planRevisions,
  recordedTag,
  withRecorded,
  type LiveRevision,
  type PlanInput,
} from "../../../operator/reconcile/revision-plan.ts";
import { COMPONENT_LABEL, MESH_LABEL } from "../../../operator/render/render.ts";
import { VERSION_LABEL } from "../../../operator/render/revisions.ts";

const NOW = new Date("2026-12-02T01:00:00Z");
const secondsAgo = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

function spec(input: MeshConfigSpecInput) {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

const REVISION_BASED = spec({ version: "1.31.1", updateStrategy: { type: "RevisionBased" } });
const old = (rolledOut = true): LiveRevision => ({ name: "1-30-0", version: "1.30.0", rolledOut });
const active = (rolledOut: boolean): LiveRevision => ({
  name: "1-31-1",
  version: "1.31.1",
  rolledOut,
});
const pods = (entries: Record<string, number>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { pods: v }]));

function plan(input: Partial<PlanInput>) {
  return planRevisions({
    spec: REVISION_BASED,
    live: [],
    tag: undefined,
    usage: pods({}),
    previous: undefined,
    now: NOW,
    ...input,
  });
}

describe("planRevisions: the default tag", () => {
  const cases: [string, Partial<PlanInput>, string][] = [
    ["cold install: the tag on the only revision", {}, "1-31-1"],
    [
      "the new revision still rolling out: the tag stays on the old one",
      { live: [old(), active(false)], tag: "1-30-0", usage: pods({ "1-30-0": 3 }) },
      "1-30-0",
    ],
    [
      "the new revision rolled out: the tag moves to it",
      { live: [old(), active(true)], tag: "1-30-0", usage: pods({ "1-30-0": 3 }) },
      "1-31-1",
    ],
    [
      "never back: the tagged active revision rolling again keeps the tag",
      { live: [old(), active(false)], tag: "1-31-1", usage: pods({ "1-30-0": 3 }) },
      "1-31-1",
    ],
    [
      "no tag yet (a mesh that was InPlace): the serving unrevisioned istiod holds it",
      {
        live: [{ name: "default", version: "1.30.0", rolledOut: true }, active(false)],
        usage: pods({ default: 2 }),
      },
      "default",
    ],
    [
      "no tag and nothing serving: the tag goes to the new revision",
      { live: [old(false)], usage: pods({ "1-30-0": 1 }) },
      "1-31-1",
    ],
  ];
  for (const [name, input, tag] of cases)
    it(name, () => {
      expect(plan(input).tag).toBe(tag);
    });
});

describe("planRevisions: which revisions exist", () => {
  const ACTIVE = { name: "1-31-1", version: "1.31.1" };
  const OLD = { name: "1-30-0", version: "1.30.0" };
  /** The old revision as status recorded it: no pods, unused since `seconds` ago. */
  const unusedFor = (seconds: number) => [
    { ...OLD, ready: true, tags: [], pods: 0, unusedSince: secondsAgo(seconds) },
  ];
  /** After the upgrade: both revisions live, the new one rolled out and tagged, no pods. */
  const upgraded = (input: Partial<PlanInput> = {}): Partial<PlanInput> => ({
    live: [old(), active(true)],
    tag: "1-31-1",
    ...input,
  });
  interface Expected {
    readonly revisions: readonly { name: string; version: string }[];
    readonly unusedSince: Record<string, string>;
    readonly requeueAfterMs: number | undefined;
  }
  const cases: [string, Partial<PlanInput>, Expected][] = [
    [
      "the active revision always, first; an old one while pods use it, polled",
      upgraded({ usage: pods({ "1-30-0": 1 }) }),
      { revisions: [ACTIVE, OLD], unusedSince: {}, requeueAfterMs: IN_USE_POLL_MS },
    ],
    [
      "the tagged old revision stays even without pods, and starts no grace period",
      { live: [old(), active(false)], tag: "1-30-0" },
      { revisions: [ACTIVE, OLD], unusedSince: {}, requeueAfterMs: undefined },
    ],
    [
      "pods not countable: nothing is removed, nothing starts a grace period, polled",
      upgraded({ usage: undefined }),
      { revisions: [ACTIVE, OLD], unusedSince: {}, requeueAfterMs: IN_USE_POLL_MS },
    ],
    [
      "unused: the grace period starts now, and the run comes back when it ends",
      upgraded(),
      {
        revisions: [ACTIVE, OLD],
        unusedSince: { "1-30-0": "2026-12-02T01:00:00Z" },
        requeueAfterMs: 30_000,
      },
    ],
    [
      "unused for part of the grace period (from status): kept, due at its end",
      upgraded({ previous: unusedFor(20) }),
      {
        revisions: [ACTIVE, OLD],
        unusedSince: { "1-30-0": secondsAgo(20) },
        requeueAfterMs: 10_000,
      },
    ],
    [
      "unused past the grace period: no longer rendered (the prune removes it)",
      upgraded({ previous: unusedFor(30) }),
      { revisions: [ACTIVE], unusedSince: {}, requeueAfterMs: undefined },
    ],
    [
      "used again within the grace period: the clock stops",
      upgraded({ usage: pods({ "1-30-0": 1 }), previous: unusedFor(20) }),
      { revisions: [ACTIVE, OLD], unusedSince: {}, requeueAfterMs: IN_USE_POLL_MS },
    ],
    [
      "a grace period of 0 removes an unused revision at once",
      upgraded({
        spec: spec({
          version: "1.31.1",
          updateStrategy: { type: "RevisionBased", inactiveRevisionDeletionGracePeriodSeconds: 0 },
        }),
      }),
      { revisions: [ACTIVE], unusedSince: {}, requeueAfterMs: undefined },
    ],
  ];
  for (const [name, input, expected] of cases)
    it(name, () => {
      const { revisions, unusedSince, requeueAfterMs } = plan(input);
      expect({ revisions, unusedSince, requeueAfterMs }).toEqual(expected);
    });

  it("spec.revision prefixes the derived name", () => {
    const p = plan({
      spec: spec({
        version: "1.31.1",
        revision: "canary",
        updateStrategy: { type: "RevisionBased" },
      }),
    });
    expect(p.active).toEqual({ name: "canary-1-31-1", version: "1.31.1" });
  });

  it("InPlace: one revision, named by spec.revision or default", () => {
    expect(plan({ spec: spec({ version: "1.31.1" }), live: [old()] })).toMatchObject({
      strategy: "InPlace",
      revisions: [{ name: "default", version: "1.31.1" }],
    });
    expect(plan({ spec: spec({ version: "1.31.1", revision: "blue" }) }).active.name).toBe("blue");
  });
});

describe("the live revisions and tag, from the cache", () => {
  const ours = (labels: Record<string, string>) => ({
    "app.kubernetes.io/managed-by": "meshkeeper",
    [MESH_LABEL]: "default",
    [COMPONENT_LABEL]: "istiod",
    ...labels,
  });
  const deployment = (name: string, labels: Record<string, string>, image = ""): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "istio-system", labels: ours(labels), generation: 1 },
    spec: { replicas: 1, template: { spec: { containers: [{ image }] } } },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: "Available", status: "True" }],
    },
  });

  it("revision and version labels; an unlabelled istiod is 'default' at its image's tag", () => {
    const live = liveRevisions(
      [
        deployment("istiod-1-30-0", { "istio.io/rev": "1-30-0", [VERSION_LABEL]: "1.30.0" }),
        deployment("istiod", {}, "docker.io/istio/pilot:1.29.4"),
        {
          ...deployment("istiod-x", { "istio.io/rev": "x" }),
          metadata: { name: "elsewhere", namespace: "other", labels: ours({}) },
        },
      ],
      "istio-system",
    );
    expect(live).toEqual([
      { name: "1-30-0", version: "1.30.0", rolledOut: true },
      { name: "default", version: "1.29.4", rolledOut: true },
    ]);
  });

  it("the tag: our webhook labelled istio.io/tag=default names its revision", () => {
    const webhook: KubeObject = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: {
        name: "istio-revision-tag-default",
        labels: { [MESH_LABEL]: "default", "istio.io/tag": "default", "istio.io/rev": "1-30-0" },
      },
    };
    expect(liveTag([webhook])).toBe("1-30-0");
    expect(liveTag([])).toBeUndefined();
  });
});

describe("a cache that has not listed yet", () => {
  const recorded = [
    { name: "1-31-1", version: "1.31.1", ready: true, tags: ["default"], pods: 0 },
    {
      name: "1-30-0",
      version: "1.30.0",
      ready: true,
      tags: [],
      pods: 0,
      unusedSince: secondsAgo(5),
    },
  ];

  it("recorded revisions stand in for unseen ones, and the recorded tag for an unseen webhook", () => {
    expect(withRecorded([active(true)], recorded)).toEqual([
      { name: "1-30-0", version: "1.30.0", rolledOut: false },
      active(true),
    ]);
    expect(recordedTag(recorded)).toBe("1-31-1");
  });

  it("without pod counts a grace period on record is kept, and nothing is removed", () => {
    const p = plan({
      live: withRecorded([], recorded),
      tag: recordedTag(recorded),
      usage: undefined,
      previous: recorded,
      now: new Date(NOW.getTime() + 60_000),
    });
    expect(p.revisions.map((r) => r.name)).toEqual(["1-31-1", "1-30-0"]);
    expect(p.unusedSince).toEqual({ "1-30-0": secondsAgo(5) });
    expect(p.tag).toBe("1-31-1");
  });
});
