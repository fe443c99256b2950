/**
 * `meshkeeper demo` (README's main command): a local control plane with the MeshConfig
 * API and Istio's CRDs installed and the production sample applied, checked by the real
 * API server, and what the operator will render from it. Grows with each issue until it
 * is the full mesh demo.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { backgroundPaths, readState } from "../local/background.ts";
import { LocalClusterError } from "../local/errors.ts";
import { Discovery, NotServedError } from "../kube/discovery.ts";
import { RestClient } from "../kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../kube/server-side-apply.ts";
import { CRDS_DIR } from "../render/istio-crds.ts";
import { clusterCommand } from "./cluster.ts";
import { renderFile } from "./render.ts";

const SAMPLE = fileURLToPath(new URL("../../config/samples/production.yaml", import.meta.url));
const say = (line: string) => {
  console.log(line);
};

async function waitEstablished(ssa: ServerSideApply, crd: ApplyTarget): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const live = await ssa.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
      crd,
    );
    if (live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"))
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new LocalClusterError(
    `CRD ${crd.metadata.name} did not become Established`,
    "check the API server log",
  );
}

/** Applies once the API server's discovery lists the kind (it lags a new CRD a little). */
async function applyWhenServed<T>(ssa: ServerSideApply, object: ApplyTarget): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await ssa.apply<T>(object);
    } catch (error) {
      if (!(error instanceof NotServedError) || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function demo(): Promise<number> {
  const code = await clusterCommand(["up"]);
  if (code !== 0) return code;
  const kubeconfig = readState(backgroundPaths().stateFile)?.kubeconfig;
  if (!kubeconfig)
    throw new LocalClusterError(
      "the local cluster has no kubeconfig",
      "run `npm run cluster -- down` and try again",
    );
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const client = new RestClient(config);
  try {
    const ssa = new ServerSideApply(client, new Discovery(client));
    const crds = readdirSync(CRDS_DIR)
      .filter((file) => file.endsWith(".yaml"))
      .map((file) => parse(readFileSync(join(CRDS_DIR, file), "utf8")) as ApplyTarget);
    for (const crd of crds) await ssa.apply(crd);
    for (const crd of crds) await waitEstablished(ssa, crd);
    say(`\ninstalled ${crds.length} CRDs: meshconfigs.meshkeeper.dev and Istio's`);
    const sample = parse(readFileSync(SAMPLE, "utf8")) as ApplyTarget;
    const stored = await applyWhenServed<{
      spec: { version: string; namespace: string; gateways?: unknown[] };
    }>(ssa, sample);
    say(
      `applied config/samples/production.yaml: MeshConfig default (Istio ${stored.spec.version}, namespace ${stored.spec.namespace}, ${stored.spec.gateways?.length ?? 0} gateways), accepted and defaulted by the API server`,
    );
    const objects = renderFile(SAMPLE);
    say(
      `the operator will apply ${objects.length} objects for it; see them with: npm run meshkeeper -- render -f config/samples/production.yaml`,
    );
  } finally {
    client.close();
  }
  say("");
  return clusterCommand(["status"]);
}
