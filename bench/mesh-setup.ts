/**
 * The setup bench/operator.ts and bench/upgrade.ts share, beside the operator's cluster
 * (operator-process.ts: cluster start, MeshConfig CRD, operator start):
 *   - a work folder removed on exit, Ctrl-C included;
 *   - a rendered manifest written as kubectl takes it (crds/ and rest/, files in apply order);
 *   - kubectl by hand, its requests counted from -v=6: a manifest applied (CRDs, Established,
 *     the rest, retried until discovery knows Istio's kinds), rollout status;
 *   - the MeshConfig applied and waited for: a condition True for its current generation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileNameOf, toYaml } from "../operator/cli/render.ts";
import type { RestClient } from "../operator/kube/rest-client.ts";
import { cleanupOnExit } from "../operator/local/cleanup-on-exit.ts";
import type { MeshConfigObject } from "../operator/reconcile/mesh-config-object.ts";
import type { RenderedObject } from "../operator/render/render.ts";
import { kubectl, kubectlOk, requestsByVerb, until } from "./operator-process.ts";

export const MESH_PATH = "/apis/meshkeeper.dev/v1alpha1/meshconfigs/default";
export const SSA = ["apply", "--server-side"];

/** A temporary folder, removed by `remove()` or when the process exits. */
export function benchWork(prefix: string): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const unregister = cleanupOnExit(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    remove() {
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Manifest {
  readonly crds: string;
  readonly rest: string;
}

/** Rendered objects in two folders, crds/ and rest/; file names sort in apply order. */
export function writeManifest(rendered: readonly RenderedObject[], dir: string): Manifest {
  const manifest = { crds: join(dir, "crds"), rest: join(dir, "rest") };
  mkdirSync(manifest.crds, { recursive: true });
  mkdirSync(manifest.rest, { recursive: true });
  rendered.forEach((o, index) => {
    const folder = o.object.kind === "CustomResourceDefinition" ? manifest.crds : manifest.rest;
    writeFileSync(join(folder, fileNameOf(index, o)), toYaml(o.object));
  });
  return manifest;
}

/** kubectl as a person runs it, every request counted by verb (from its -v=6 log). */
export class ByHand {
  readonly requests = new Map<string, number>();
  /** Passes the last apply of a manifest's non-CRD objects took. */
  passes = 0;
  private readonly config: string;
  private readonly cacheDir: string;
  private readonly fieldManager: string;

  constructor(config: string, cacheDir: string, fieldManager: string) {
    this.config = config;
    this.cacheDir = cacheDir;
    this.fieldManager = fieldManager;
  }

  async run(args: readonly string[]): Promise<void> {
    const result = await kubectl(this.config, [...args, "-v=6", `--cache-dir=${this.cacheDir}`]);
    for (const [verb, n] of requestsByVerb(result.stderr))
      this.requests.set(verb, (this.requests.get(verb) ?? 0) + n);
    if (result.code !== 0)
      throw new Error(
        `kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr.slice(-2000)}`,
      );
  }

  writes(): number {
    return (this.requests.get("PATCH") ?? 0) + (this.requests.get("DELETE") ?? 0);
  }

  /** Server-side apply: CRDs, Established, then the rest (retried while Istio's kinds are unknown). */
  async apply(manifest: Manifest): Promise<void> {
    const ssa = [...SSA, "--force-conflicts", `--field-manager=${this.fieldManager}`];
    await this.run([...ssa, "-f", manifest.crds]);
    await this.run(["wait", "--for=condition=Established", "--timeout=60s", "-f", manifest.crds]);
    for (this.passes = 1; ; this.passes += 1) {
      try {
        await this.run([...ssa, "-f", manifest.rest]);
        return;
      } catch (error) {
        if (this.passes >= 5) throw error;
      }
    }
  }

  /** kubectl rollout status of every Deployment of the manifest, one after the other. */
  async rolloutStatus(rendered: readonly RenderedObject[]): Promise<void> {
    for (const { object } of rendered.filter((r) => r.object.kind === "Deployment"))
      await this.run([
        "rollout",
        "status",
        `deployment/${object.metadata.name}`,
        "-n",
        object.metadata.namespace ?? "default",
        "--timeout=300s",
      ]);
  }
}

export function meshConfigOf(client: RestClient): Promise<MeshConfigObject | undefined> {
  return client.send<MeshConfigObject>({ method: "GET", path: MESH_PATH }).catch(() => undefined);
}

/** The MeshConfig when `type` is True for its current generation, else undefined. */
export async function withCondition(
  client: RestClient,
  type: string,
): Promise<MeshConfigObject | undefined> {
  const mc = await meshConfigOf(client);
  const current = mc !== undefined && mc.status?.observedGeneration === mc.metadata.generation;
  const condition = mc?.status?.conditions?.find((c) => c.type === type);
  return current && condition?.status === "True" ? mc : undefined;
}

/** Waits until `type` is True for the current generation; returns the MeshConfig. */
export function conditionTrue(
  client: RestClient,
  type: string,
  timeoutMs = 120_000,
  intervalMs = 10,
): Promise<MeshConfigObject> {
  return until(
    `MeshConfig default ${type}=True`,
    () => withCondition(client, type),
    timeoutMs,
    intervalMs,
  );
}

/** kubectl apply --server-side of a MeshConfig file, then its Ready for the new generation. */
export async function applyUntilReady(
  kubeconfig: string,
  client: RestClient,
  file: string,
  timeoutMs = 300_000,
  intervalMs = 10,
): Promise<MeshConfigObject> {
  await kubectlOk(kubeconfig, [...SSA, "-f", file]);
  return conditionTrue(client, "Ready", timeoutMs, intervalMs);
}
