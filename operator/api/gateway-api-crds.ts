/**
 * Generates the Gateway API CRDs (crds/gateway-api/<version>/) from the sigs.k8s.io/gateway-api
 * module itself, as the Go module proxy serves it when `npm run generate` runs: the files of
 * its standard channel (config/crd/standard), one set per version some supported Istio minor
 * needs (the version table's `gatewayAPI`). Nothing is edited: the documents, their
 * bundle-version and channel annotations included, are the project's own, so a cluster
 * cannot tell them from `kubectl apply -f standard-install.yaml` of the same release.
 *
 * Why not @kubernetes-models/gateway-api: its releases (0.5.x, 2.0.0) carry type
 * declarations, not the CRDs with their CEL rules, and not the versions Istio 1.29-1.31 need.
 * The standard channel's ValidatingAdmissionPolicy (vap_safeupgrades.yaml, from v1.5) is
 * not a CRD and is left out: the operator itself refuses to downgrade (gateway-api-versions.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ISTIO_MINORS } from "../render/istio-versions.ts";
import { moduleDir } from "./upstream-crds.ts";

export const GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api";
const STANDARD_DIR = "config/crd/standard";
const CRD_FILE = /^gateway\.networking\.k8s\.io_[a-z]+\.yaml$/;

type Schema = Record<string, unknown>;

/** Where a version's CRDs live below crds/. */
export function gatewayApiCrdDir(version: string): string {
  return `gateway-api/${version}`;
}

/** Every Gateway API version a supported minor needs, oldest first, without repeats. */
export function gatewayApiVersions(): string[] {
  return [...new Set(ISTIO_MINORS.map((m) => m.gatewayAPI))];
}

/** The standard channel's CRDs of one module version, by file name, in name order. */
export function standardChannelCrds(version: string): Map<string, Schema> {
  const dir = join(moduleDir(GATEWAY_API_MODULE, version), STANDARD_DIR);
  const crds = new Map<string, Schema>();
  for (const file of readdirSync(dir)
    .filter((f) => CRD_FILE.test(f))
    .sort()) {
    const documents = parseAllDocuments(readFileSync(join(dir, file), "utf8"))
      .map((document) => document.toJS() as Schema | null)
      .filter((d): d is Schema => d?.kind === "CustomResourceDefinition");
    const [crd, ...extra] = documents;
    if (!crd || extra.length > 0)
      throw new Error(`${GATEWAY_API_MODULE}@${version} ${file}: expected one CRD`);
    crds.set(file, crd);
  }
  if (crds.size === 0) throw new Error(`${GATEWAY_API_MODULE}@${version} has no standard CRDs`);
  return crds;
}

/** crds/'s Gateway API files: `gateway-api/<version>/<file>` -> CRD. */
export function gatewayApiCrds(): Map<string, Schema> {
  const files = new Map<string, Schema>();
  for (const version of gatewayApiVersions())
    for (const [file, crd] of standardChannelCrds(version))
      files.set(`${gatewayApiCrdDir(version)}/${file}`, crd);
  return files;
}
