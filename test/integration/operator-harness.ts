/**
 * Runs the operator (the real Manager, in this process) against the shared API server and
 * gives tests what they need to watch it: every reconcile's outcome, the requests it sent,
 * and a client of their own for acting like a person with kubectl.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import type { MeshConfigObject } from "../../operator/reconcile/mesh-config-object.ts";
import type { ReconcileOutcome } from "../../operator/reconcile/reconciler.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { Manager, type ManagerOptions } from "../../operator/runtime/manager.ts";

export const MESH_PATH = "/apis/meshkeeper.dev/v1alpha1/meshconfigs/default";
const WRITE_VERBS = ["POST", "PUT", "PATCH", "DELETE"];

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * What key material looks like in text: a PEM block, or a long base64 run (a DER key or
 * certificate, or a Secret's data, as the API returns it). Nothing the operator logs on
 * purpose comes close: hashes are 64 hex digits, names are short.
 */
const KEY_MATERIAL = [/-----BEGIN [A-Z ]+-----/, /[A-Za-z0-9+/]{120,}={0,2}/];

export function keyMaterialIn(lines: readonly string[]): string[] {
  return lines.filter((line) => KEY_MATERIAL.some((pattern) => pattern.test(line)));
}

export class OperatorHarness {
  readonly manager: Manager;
  /** Everything the operator logged (at debug level), unless the test brought its own log. */
  readonly printed: string[] = [];
  /** The test's own client: its requests never count as the operator's. */
  readonly client: RestClient;
  readonly ssa: ServerSideApply;
  readonly outcomes: ReconcileOutcome[] = [];

  constructor(config: KubeConfig, options: Partial<ManagerOptions> = {}) {
    const printed = this.printed;
    const echo = process.env.MESHKEEPER_TEST_LOG !== undefined;
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed.push(chunk.toString("utf8"));
        if (echo) process.stderr.write(chunk);
        done();
      },
    });
    this.manager = new Manager({
      kubeconfig: config,
      log: createLogger({ level: "debug", destination: capture }),
      onReconciled: (_key, outcome) => this.outcomes.push(outcome),
      ...options,
    });
    this.client = new RestClient(config);
    this.ssa = new ServerSideApply(this.client, new Discovery(this.client));
  }

  async start(): Promise<this> {
    await this.manager.start();
    return this;
  }

  /** Stops the operator; fails if anything it logged looks like key material. */
  async stop(): Promise<void> {
    await this.manager.stop();
    this.client.close();
    const leaked = keyMaterialIn(this.printed);
    if (leaked.length > 0)
      throw new Error(
        `the operator logged what looks like key material (${leaked.length} lines), e.g. ${leaked[0]?.slice(0, 200) ?? ""}`,
      );
  }

  /** The operator's write requests so far (reads and watches excluded). */
  writes(): number {
    return WRITE_VERBS.reduce(
      (sum, verb) => sum + (this.manager.client.requests.get(verb) ?? 0),
      0,
    );
  }

  async meshConfig(): Promise<MeshConfigObject | undefined> {
    try {
      return await this.client.send<MeshConfigObject>({ method: "GET", path: MESH_PATH });
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Deletes the MeshConfig (as `as`: a harness whose operator runs under a restricted
   * identity passes an administrator's client) and waits until the operator's teardown
   * released it. A timeout says what the teardown was waiting for, from the status.
   */
  async deleteMeshConfig(ms = 60_000, as: RestClient = this.client): Promise<void> {
    await as.send({ method: "DELETE", path: MESH_PATH }).catch((error: unknown) => {
      if ((error as { status?: number }).status !== 404) throw error;
    });
    let last: MeshConfigObject | undefined;
    try {
      await until(
        "the MeshConfig to be gone",
        async () => {
          last = await this.meshConfig();
          return !last;
        },
        ms,
      );
    } catch (error) {
      const waiting = this.condition(last, "Reconciling")?.message ?? "no Reconciling condition";
      throw new Error(`${(error as Error).message} (teardown: ${waiting})`, { cause: error });
    }
  }

  condition(mc: MeshConfigObject | undefined, type: string) {
    return mc?.status?.conditions?.find((c) => c.type === type);
  }

  /** Waits until the current generation has a condition with this status (and reason). */
  async waitForCondition(type: string, status: string, reason?: string, ms = 60_000) {
    return until(
      `${type}=${status}${reason ? ` (${reason})` : ""}`,
      async () => {
        const mc = await this.meshConfig();
        const c = this.condition(mc, type);
        const current = mc?.status?.observedGeneration === mc?.metadata.generation;
        return current && c?.status === status && (!reason || c.reason === reason) ? mc : undefined;
      },
      ms,
    );
  }

  /** Waits until the operator has run `count` more reconciles and the queue is quiet. */
  async settle(quietMs = 300): Promise<void> {
    let seen = this.outcomes.length;
    for (;;) {
      await sleep(quietMs);
      if (this.outcomes.length === seen) return;
      seen = this.outcomes.length;
    }
  }

  /** Server-side apply as a person would (`kubectl apply --server-side`), not as meshkeeper. */
  async applyAsUser(object: ApplyTarget): Promise<void> {
    const path = await new Discovery(this.client).pathOf(object);
    await this.client.send({
      method: "PATCH",
      path,
      body: object,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: "kubectl", force: "true" },
    });
  }

  /** A hand edit (`kubectl edit`/`patch`): a merge patch under another field manager. */
  async edit(object: ApplyTarget, patch: unknown, fieldManager = "kubectl-edit"): Promise<void> {
    const path = await new Discovery(this.client).pathOf(object);
    await this.client.send({
      method: "PATCH",
      path,
      body: patch,
      contentType: "application/merge-patch+json",
      query: { fieldManager },
    });
  }

  async get<T = Record<string, unknown>>(object: ApplyTarget): Promise<T | undefined> {
    return this.ssa.get<T>(object);
  }
}
