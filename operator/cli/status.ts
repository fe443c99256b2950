/**
 * `meshkeeper status [--kubeconfig PATH] [-o table|yaml|json]`: the MeshConfig "default"
 * as the operator reports it, as a table or as the object itself. The exit code lets
 * scripts gate on readiness without parsing anything.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { meshConfigPath } from "../api/distribution.ts";
import { ApiError, RestClient } from "../kube/rest-client.ts";
import { STATUS_OPTIONS, STATUS_USAGE } from "./usage.ts";
import { outputFormat, parseOptions } from "./args.ts";
import { formatValue } from "./output.ts";
import { isReady, statusTable } from "./status-table.ts";

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

export async function statusCommand(args: readonly string[]): Promise<number> {
  const options = parseOptions(args, STATUS_OPTIONS, STATUS_USAGE);
  if (options === undefined) return 0;
  const format = outputFormat(options.output, ["table", "yaml", "json"], STATUS_USAGE);
  let client: RestClient | undefined;
  try {
    client = new RestClient(loadConfig(options.kubeconfig));
    const meshConfig = await client.send<object>({ method: "GET", path: meshConfigPath() });
    process.stdout.write(
      format === "table" ? statusTable(meshConfig, new Date()) : formatValue(meshConfig, format),
    );
    return isReady(meshConfig) ? 0 : 3;
  } catch (error) {
    console.error(explain(error));
    return 1;
  } finally {
    client?.close();
  }
}
