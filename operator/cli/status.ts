/**
 * `meshkeeper status [--kubeconfig PATH]`: the MeshConfig "default" as the operator reports
 * it. The exit code lets scripts gate on readiness without parsing the table.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { ApiError, RestClient } from "../kube/rest-client.ts";
import { isReady, statusTable } from "./status-table.ts";

export const STATUS_HELP = `usage: meshkeeper status [--kubeconfig PATH]

Shows the MeshConfig "default": conditions, component readiness, CA expiry.
The kubeconfig is PATH, else $KUBECONFIG, else ~/.kube/config (or in-cluster).

exit codes:
  0  Ready=True for the current generation
  3  not ready (yet): still reconciling, stalled, or not seen by the operator
  1  error: no MeshConfig, cluster unreachable, not allowed
  2  bad arguments`;

const PATH = "/apis/meshkeeper.dev/v1alpha1/meshconfigs/default";

function loadConfig(path: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (path === undefined) config.loadFromDefault();
  else config.loadFromFile(path);
  // With no kubeconfig anywhere, client-node falls back to http://localhost:8080, which
  // fails later with a message about TLS settings instead of the real cause.
  const server = config.getCurrentCluster()?.server ?? "";
  if (!server.startsWith("https:")) {
    throw new Error(
      `no usable kubeconfig (server "${server}"): set KUBECONFIG or pass --kubeconfig PATH`,
    );
  }
  return config;
}

/** One line saying what went wrong and what to do, never a stack. */
function explain(error: unknown): string {
  if (error instanceof ApiError && error.status === 404) {
    // A JSON NotFound is about the object; a bare 404 means the resource type is unknown.
    return error.reason === "NotFound"
      ? "no MeshConfig named default: apply one, e.g. kubectl apply -f config/samples/production.yaml"
      : "this cluster does not serve MeshConfigs: install the CRDs (meshkeeper crds | kubectl apply -f -)";
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

function parse(args: readonly string[]): { kubeconfig?: string | undefined; help?: boolean } {
  return parseArgs({
    args: [...args],
    options: { kubeconfig: { type: "string" }, help: { type: "boolean", short: "h" } },
  }).values;
}

export async function statusCommand(args: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    console.error(`${explain(error)}\n\n${STATUS_HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(STATUS_HELP);
    return 0;
  }
  let client: RestClient | undefined;
  try {
    client = new RestClient(loadConfig(options.kubeconfig));
    const meshConfig = await client.send<object>({ method: "GET", path: PATH });
    process.stdout.write(statusTable(meshConfig, new Date()));
    return isReady(meshConfig) ? 0 : 3;
  } catch (error) {
    console.error(explain(error));
    return 1;
  } finally {
    client?.close();
  }
}
