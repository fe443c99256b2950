/**
 * The base component: Istio's CRDs, as generated into crds/ by `npm run generate`.
 * They are large, so they are parsed once per process and shared (callers copy before
 * they change anything).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { KubernetesObject } from "./template-engine.ts";

export const CRDS_DIR = fileURLToPath(new URL("../../crds/", import.meta.url));
const ISTIO_CRD_FILE = /^[a-z]+\.istio\.io_[a-z]+\.yaml$/;

let cached: readonly KubernetesObject[] | undefined;

export function istioCrdObjects(): readonly KubernetesObject[] {
  cached ??= readdirSync(CRDS_DIR)
    .filter((file) => ISTIO_CRD_FILE.test(file))
    .sort()
    .map((file) => parse(readFileSync(`${CRDS_DIR}${file}`, "utf8")) as KubernetesObject);
  return cached;
}
