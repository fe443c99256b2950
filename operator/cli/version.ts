/**
 * `meshkeeper version [-o yaml|json]` (also `meshkeeper --version`): this build's version,
 * the Node.js running it, the Istio releases it installs, and the Kubernetes version of
 * the local control plane it builds.
 */
import { readFileSync } from "node:fs";
import { KUBERNETES_VERSION } from "../local/components.ts";
import { ISTIO_MINORS } from "../render/istio-versions.ts";
import { OUTPUT_OPTION, VERSION_USAGE } from "./usage.ts";
import { outputFormat, parseOptions } from "./args.ts";
import { formatValue } from "./output.ts";

interface VersionInfo {
  readonly meshkeeper: string;
  readonly node: string;
  readonly istio: readonly string[];
  readonly localKubernetes: string;
}

function meshkeeperVersion(): string {
  const manifest = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

export function versionInfo(): VersionInfo {
  const istio = ISTIO_MINORS.map(({ minor, patches }) => {
    const [first, last] = [patches[0], patches.at(-1)];
    return first === last ? `${minor}.${first}` : `${minor}.${first}-${minor}.${last}`;
  });
  return {
    meshkeeper: meshkeeperVersion(),
    node: process.version,
    istio,
    localKubernetes: KUBERNETES_VERSION,
  };
}

export function versionCommand(argv: readonly string[]): number {
  const values = parseOptions(argv, OUTPUT_OPTION, VERSION_USAGE);
  if (values === undefined) return 0;
  const format = outputFormat(values.output, ["text", "yaml", "json"], VERSION_USAGE);
  const info = versionInfo();
  if (format !== "text") {
    process.stdout.write(formatValue(info, format));
    return 0;
  }
  console.log(`meshkeeper ${info.meshkeeper}`);
  console.log(`node       ${info.node}`);
  console.log(`istio      ${info.istio.join(", ")}`);
  console.log(`kubernetes ${info.localKubernetes} (local control plane)`);
  return 0;
}
