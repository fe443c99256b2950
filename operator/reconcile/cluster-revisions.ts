/**
 * The revisions one run renders, from what the cluster shows now (I/O: the injected pods,
 * listed at most every 5 s by data-plane-count.ts): our istiod Deployments and the tag
 * webhook from the cache, the pods and outdated proxies per revision, and the last status,
 * which stands in for what the cache cannot show yet just after a start. The decisions
 * are revision-plan.ts's (pure); this file only gathers their inputs.
 */
import type { Logger } from "pino";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { Clock } from "../kube/clock.ts";
import type { ObjectReader } from "../kube/interfaces.ts";
import type { InjectedPods } from "../kube/pod-list.ts";
import { activeRevision, type RevisionRef } from "../render/revisions.ts";
import { DataPlaneCounter, type DataPlaneUsage } from "./data-plane-count.ts";
import type { MeshConfigObject } from "./mesh-config-object.ts";
import {
  liveRevisions,
  liveTag,
  planRevisions,
  recordedTag,
  withRecorded,
} from "./revision-plan.ts";
import type { Revisions } from "./revision-status.ts";

export class ClusterRevisions {
  private readonly cache: ObjectReader;
  private readonly clock: Clock;
  private readonly dataPlane: DataPlaneCounter | undefined;

  /** Without `pods`, no counts: every revision's usage is unknown. */
  constructor(cache: ObjectReader, pods: InjectedPods | undefined, clock: Clock) {
    this.cache = cache;
    this.clock = clock;
    // The run's clock (tests move it) decides when the pods are listed again.
    this.dataPlane = pods && new DataPlaneCounter(pods, undefined, () => clock.now().getTime());
  }

  /**
   * The revisions to render (revision-plan.ts), from what the cluster shows now: our
   * istiod Deployments, the tag webhook, the pods per revision and the last status.
   */
  async revisionsOf(mc: MeshConfigObject, spec: MeshConfigSpec, log: Logger): Promise<Revisions> {
    const objects = this.cache.list();
    const recorded = mc.status?.revisions;
    // Just started: what status recorded stands in for what the cache cannot show yet.
    const listed = this.cache.unsyncedKinds().length === 0;
    const seen = liveRevisions(objects, spec.namespace);
    const live = listed ? seen : withRecorded(seen, recorded);
    const usage = await this.dataPlaneUsage(live, spec, log);
    const plan = planRevisions({
      spec,
      live,
      tag: liveTag(objects) ?? (listed ? undefined : recordedTag(recorded)),
      usage: listed ? usage : undefined,
      previous: recorded,
      now: this.clock.now(),
    });
    log.debug(
      { revisions: plan.revisions.map((r) => r.name), tag: plan.tag, unused: plan.unusedSince },
      "revisions",
    );
    // The pods are passed on only when this run's list answered (usage says so).
    return { plan, usage, pods: usage && this.dataPlane?.lastPods() };
  }

  /** data plane: pods and outdated proxies per revision, against each revision's version. */
  private async dataPlaneUsage(
    live: readonly RevisionRef[],
    spec: MeshConfigSpec,
    log: Logger,
  ): Promise<DataPlaneUsage | undefined> {
    if (!this.dataPlane) return undefined;
    const active = activeRevision(spec);
    const versions = new Map([
      ...live.map((r): [string, string] => [r.name, r.version]),
      [active.name, active.version],
    ]);
    return this.dataPlane.usage(versions, log);
  }
}
