/**
 * A sample's example for the demo: the manifests in config/samples/<sample>/ (the
 * gateway-api sample's Gateway, HTTPRoute, backend and policies), applied once the mesh
 * is Ready. Its Gateways need istiod's Gateway API deployment controller. With `--istiod`
 * the real istiod deploys each one (`<gateway>-istio`), and the demo follows it until its
 * Deployment is Available and the Gateway Accepted. Without it, the cluster's istiod is a
 * KWOK pod that runs nothing, so nothing deploys them, and the demo says so.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { Discovery, NotServedError } from "../kube/discovery.ts";
import { unlessNotFound } from "../kube/errors.ts";
import type { RestClient } from "../kube/rest-client.ts";
import type { ApplyTarget } from "../kube/server-side-apply.ts";
import { LocalClusterError } from "../local/errors.ts";

const GATEWAY_TIMEOUT_MS = 120_000;

/** Server-side apply as the person running the demo (the operator applies as meshkeeper). */
export async function applyAsUser(client: RestClient, object: ApplyTarget): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.send({
        method: "PATCH",
        path: await new Discovery(client).pathOf(object),
        body: object,
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: "meshkeeper-demo", force: "true" },
      });
      return;
    } catch (error) {
      // Discovery lags a new CRD by a moment.
      if (!(error instanceof NotServedError) || attempt >= 50) throw error;
      await sleep(200);
    }
  }
}

export interface Example {
  /** The folder, as the demo names it (config/samples/<sample>/). */
  readonly folder: string;
  readonly objects: readonly ApplyTarget[];
}

/** The example beside a sample file (config/samples/NAME/*.yaml), or undefined when it has none. */
export function exampleOf(samplePath: string): Example | undefined {
  const dir = samplePath.replace(/\.yaml$/, "");
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  const objects = files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8"))
      .map((doc) => doc.toJS() as ApplyTarget | null)
      .filter((o): o is ApplyTarget => o !== null),
  );
  return { folder: `config/samples/${basename(dir)}/`, objects };
}

/** The example's objects in file order (namespaces first, as written). */
export async function applyExample(client: RestClient, example: Example): Promise<string[]> {
  const applied: string[] = [];
  for (const object of example.objects) {
    await applyAsUser(client, object);
    const ns = object.metadata.namespace ? `${object.metadata.namespace}/` : "";
    applied.push(`${object.kind} ${ns}${object.metadata.name}`);
  }
  return applied;
}

export function gatewaysOf(example: Example): { namespace: string; name: string }[] {
  return example.objects
    .filter((o) => o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/"))
    .map((o) => ({ namespace: o.metadata.namespace ?? "default", name: o.metadata.name }));
}

interface Conditioned {
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

const condition = (object: Conditioned | undefined, type: string) =>
  object?.status?.conditions?.find((c) => c.type === type);

/**
 * Waits until istiod has deployed the Gateway: its Deployment `<name>-istio` Available
 * and the Gateway Accepted. Answers the line to print (with Programmed as istiod says).
 */
export async function followGateway(
  client: RestClient,
  gateway: { namespace: string; name: string },
): Promise<string> {
  const deployment = `${gateway.name}-istio`;
  const gatewayPath = `/apis/gateway.networking.k8s.io/v1/namespaces/${gateway.namespace}/gateways/${gateway.name}`;
  const deploymentPath = `/apis/apps/v1/namespaces/${gateway.namespace}/deployments/${deployment}`;
  const deadline = Date.now() + GATEWAY_TIMEOUT_MS;
  for (;;) {
    const [live, workload] = await Promise.all([
      unlessNotFound(client.send<Conditioned>({ method: "GET", path: gatewayPath })),
      unlessNotFound(client.send<Conditioned>({ method: "GET", path: deploymentPath })),
    ]);
    const accepted = condition(live, "Accepted")?.status === "True";
    const available = condition(workload, "Available")?.status === "True";
    if (accepted && available) {
      const programmed = condition(live, "Programmed");
      return (
        `Gateway ${gateway.namespace}/${gateway.name} Accepted, deployed by istiod: Deployment ` +
        `${gateway.namespace}/${deployment} Available (Programmed ${programmed?.status ?? "unset"}` +
        `${programmed?.reason ? `, ${programmed.reason}` : ""})`
      );
    }
    if (Date.now() > deadline)
      throw new LocalClusterError(
        `istiod did not deploy Gateway ${gateway.namespace}/${gateway.name} within ${GATEWAY_TIMEOUT_MS / 1000} s ` +
          `(Accepted: ${accepted}, Deployment ${deployment} Available: ${available})`,
        "see the istiod log the demo printed",
      );
    await sleep(500);
  }
}

/** What to say of the example's Gateways when no real istiod runs. */
export function undeployedNote(gateways: { namespace: string; name: string }[]): string {
  const names = gateways.map((g) => `${g.namespace}/${g.name}`).join(", ");
  return (
    `no controller deploys Gateway ${names}: the cluster's istiod is a KWOK pod that runs ` +
    "nothing, so nothing watches class istio (istiod creates the GatewayClass itself) and the " +
    "Gateway has no status; add --istiod and the real istiod deploys it"
  );
}
