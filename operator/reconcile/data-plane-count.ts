/**
 * The data-plane counts of one reconcile (I/O): the injected pods, listed at most once per
 * `minIntervalMs` (a rollout wakes the reconciler many times a second; the counts need
 * not follow each event), counted against the version each revision's control plane runs.
 * A failed list is logged and answers undefined: callers then keep what status said and
 * never treat a revision as unused (pruning must not follow a missing answer).
 */
import type { Logger } from "pino";
import type { KubeObject } from "../kube/object.ts";
import type { InjectedPods } from "../kube/pod-list.ts";
import { dataPlaneUsage, type RevisionUsage } from "./data-plane.ts";

export type DataPlaneUsage = ReadonlyMap<string, RevisionUsage>;

export const DEFAULT_LIST_INTERVAL_MS = 5_000;

export class DataPlaneCounter {
  private readonly source: InjectedPods;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private last: { at: number; pods: readonly KubeObject[] } | undefined;

  constructor(source: InjectedPods, minIntervalMs = DEFAULT_LIST_INTERVAL_MS, now = Date.now) {
    this.source = source;
    this.minIntervalMs = minIntervalMs;
    this.now = now;
  }

  /** Pods and outdated proxies per revision, or undefined when the pods could not be listed. */
  async usage(
    versions: ReadonlyMap<string, string>,
    log: Logger,
  ): Promise<DataPlaneUsage | undefined> {
    const pods = await this.pods(log);
    return pods && dataPlaneUsage(pods, versions);
  }

  /** The pods the last successful list returned (workload-restart-run.ts reads them). */
  lastPods(): readonly KubeObject[] | undefined {
    return this.last?.pods;
  }

  private async pods(log: Logger): Promise<readonly KubeObject[] | undefined> {
    const at = this.now();
    if (this.last && at - this.last.at < this.minIntervalMs) return this.last.pods;
    try {
      const pods = await this.source.list();
      this.last = { at, pods };
      return pods;
    } catch (error) {
      log.warn({ err: error }, "could not list injected pods: data-plane counts kept as they were");
      return undefined;
    }
  }
}
