/**
 * What the operator wrote, for the tests that bound it: its write counters by kind (from
 * /metrics), and how often the MeshConfig's status changed, as a watch sees it. The API
 * server makes a write that changes nothing a no-op (no new resourceVersion, no watch
 * event), so the changes bound the status writes of a writer that writes only on change
 * (cert-manager's rule, which the operator follows), however many intermediate states a
 * loaded machine let the operator see.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { RestClient } from "../../operator/kube/rest-client.ts";
import { watchOnce, type WatchEvent } from "../../operator/kube/watch-session.ts";

const MESH_CONFIGS = "/apis/meshkeeper.dev/v1alpha1/meshconfigs";

/** meshkeeper_api_writes_total by kind, every verb summed. */
function writesByKind(metrics: string): [kind: string, writes: number][] {
  return [
    ...metrics.matchAll(/meshkeeper_api_writes_total\{verb="\w+",kind="([^"]+)"\} (\d+)/g),
  ].map(([, kind, n]) => [kind ?? "", Number(n)]);
}

/** Writes of managed objects (not of the MeshConfig's metadata or status, nor the CA's Secrets). */
export const objectWrites = (metrics: string) =>
  writesByKind(metrics)
    .filter(([kind]) => !kind.startsWith("MeshConfig") && kind !== "Secret")
    .reduce((sum, [, n]) => sum + n, 0);

/** Writes of the MeshConfig's status subresource. */
export const statusWrites = (metrics: string) =>
  writesByKind(metrics)
    .filter(([kind]) => kind === "MeshConfig/status")
    .reduce((sum, [, n]) => sum + n, 0);

export interface StatusChanges {
  /**
   * Stops the watch, once it saw `expected` changes or 5 s passed (its events may trail the
   * writes), and returns how many times the status changed.
   */
  stop(expected?: number): Promise<number>;
}

export async function watchStatusChanges(client: RestClient, name: string): Promise<StatusChanges> {
  const list = await client.send<{ metadata: { resourceVersion: string } }>({
    method: "GET",
    path: MESH_CONFIGS,
  });
  const controller = new AbortController();
  let last = "null";
  let changes = 0;
  const onEvent = (event: WatchEvent) => {
    const metadata = event.object.metadata as { name?: string } | undefined;
    if (metadata?.name !== name || event.type === "BOOKMARK") return;
    const status = JSON.stringify(event.object["status"] ?? null);
    if (status !== last) changes += 1;
    last = status;
  };
  const watching = watchOnce(client, {
    path: MESH_CONFIGS,
    resourceVersion: list.metadata.resourceVersion,
    minTimeoutSeconds: 300,
    signal: controller.signal,
    onEvent,
  });
  return {
    async stop(expected = 0) {
      for (let waited = 0; changes < expected && waited < 5_000; waited += 100) await sleep(100);
      controller.abort();
      await watching;
      return changes;
    },
  };
}
