/**
 * The Gateway API CRDs a mesh installs (spec.gatewayAPI.crds Managed): the standard channel
 * at the version its Istio minor needs, as crds/gateway-api/<version>/ holds it (generated
 * by `npm run generate` from the gateway-api module). The files are large (about 1 MiB a
 * version), so each version is parsed once per process and only when a mesh asks for it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { parseYaml } from "./block-yaml.ts";
import { CRDS_DIR } from "./istio-crds.ts";
import type { KubernetesObject } from "./template-engine.ts";

const byVersion = new Map<string, readonly KubernetesObject[]>();

/** The standard channel's CRDs of one Gateway API version, in file-name order. */
export function gatewayApiCrdObjects(version: string): readonly KubernetesObject[] {
  const known = byVersion.get(version);
  if (known) return known;
  const dir = `${CRDS_DIR}gateway-api/${version}/`;
  if (!existsSync(dir))
    throw new Error(`crds/ has no Gateway API ${version}; run \`npm run generate\``);
  const crds = readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => parseYaml(readFileSync(`${dir}${file}`, "utf8")) as KubernetesObject);
  byVersion.set(version, crds);
  return crds;
}
