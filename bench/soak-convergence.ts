/**
 * For bench/soak.ts: when did each MeshConfig edit converge? A poller reads the MeshConfig
 * every 250 ms (through API server restarts: a failed read is just a missed poll) and notes
 * the newest generation that is Reconciled and Ready. The operator is level-based, as
 * controller-runtime's are: an edit made while an earlier one is still being reconciled
 * may be folded into the next run, so an edit counts as converged once a generation at
 * least as new as its own is Reconciled and Ready; `exact` says it was its own.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RestClient } from "../operator/kube/rest-client.ts";
import type { MeshConfigObject } from "../operator/reconcile/mesh-config-object.ts";

export const MESH_PATH = "/apis/meshkeeper.dev/v1alpha1/meshconfigs/default";

export interface EditOutcome {
  readonly generation: number;
  readonly editedAt: number;
  convergedAt?: number;
  /** Converged at exactly its own generation (not folded into a later one). */
  exact?: boolean;
}

/** The newest generation whose Reconciled and Ready conditions are True, or 0. */
function convergedGeneration(mc: MeshConfigObject | undefined): number {
  const status = mc?.status;
  const observed = status?.observedGeneration ?? 0;
  const holds = (type: string) =>
    status?.conditions?.some(
      (c) => c.type === type && c.status === "True" && c.observedGeneration === observed,
    ) ?? false;
  return holds("Reconciled") && holds("Ready") ? observed : 0;
}

export class ConvergenceTracker {
  readonly edits: EditOutcome[] = [];
  private readonly client: RestClient;
  private readonly state = { running: false };
  private loop: Promise<void> | undefined;

  constructor(client: RestClient) {
    this.client = client;
  }

  start(): void {
    this.state.running = true;
    this.loop ??= this.poll();
  }

  async stop(): Promise<void> {
    this.state.running = false;
    await this.loop;
  }

  track(generation: number, editedAt = Date.now()): void {
    this.edits.push({ generation, editedAt });
  }

  /** Waits until every tracked edit has converged; throws after timeoutMs. */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.edits.some((e) => e.convergedAt === undefined)) {
      if (Date.now() > deadline) {
        const pending = this.edits.filter((e) => e.convergedAt === undefined);
        throw new Error(
          `generations ${pending.map((e) => e.generation).join(", ")} did not converge in ${timeoutMs / 1000} s`,
        );
      }
      await sleep(100);
    }
  }

  private async poll(): Promise<void> {
    while (this.state.running) {
      const mc = await this.client
        .send<MeshConfigObject>({ method: "GET", path: MESH_PATH, timeoutMs: 2_000 })
        .catch(() => undefined);
      const converged = convergedGeneration(mc);
      const now = Date.now();
      for (const edit of this.edits) {
        if (edit.convergedAt !== undefined || converged < edit.generation) continue;
        edit.convergedAt = now;
        edit.exact = converged === edit.generation;
      }
      await sleep(250);
    }
  }
}
