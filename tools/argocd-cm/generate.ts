/**
 * Generates config/argocd/argocd-cm-patch.yaml, the argocd-cm ConfigMap snippet that
 * installs the MeshConfig health check, from config/argocd/health-meshconfig.lua, so the
 * script is written (and tested) in one place only.
 *
 *   node tools/argocd-cm/generate.ts           rewrite the snippet
 *   node tools/argocd-cm/generate.ts --check   exit 1 when the snippet is stale
 *
 * test/unit/argocd/argocd-cm.test.ts fails when the committed snippet is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GROUP, KIND } from "../../operator/api/distribution.ts";

export const HEALTH_KEY = `resource.customizations.health.${GROUP}_${KIND}`;
export const LUA_FILE = fileURLToPath(
  new URL("../../config/argocd/health-meshconfig.lua", import.meta.url),
);
export const PATCH_FILE = fileURLToPath(
  new URL("../../config/argocd/argocd-cm-patch.yaml", import.meta.url),
);

/** The snippet for one Lua script: a block literal keeps the script byte for byte. */
export function argocdCmPatch(lua: string): string {
  if (lua.includes("\t")) throw new Error("indent the health check with spaces, not tabs");
  const body = lua.replace(/\n+$/, "");
  const indented = body
    .split("\n")
    .map((line) => (line.trim() === "" ? "" : `    ${line.trimEnd()}`))
    .join("\n");
  return [
    "# Generated from health-meshconfig.lua by `node tools/argocd-cm/generate.ts`. Do not edit.",
    "# Merge it into Argo CD's argocd-cm ConfigMap: as a patch in the kustomization that",
    "# installs Argo CD, or `kubectl -n argocd patch configmap argocd-cm --patch-file <this>`.",
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: argocd-cm",
    "  namespace: argocd",
    "  labels:",
    "    app.kubernetes.io/name: argocd-cm",
    "    app.kubernetes.io/part-of: argocd",
    "data:",
    `  ${HEALTH_KEY}: |`,
    indented,
    "",
  ].join("\n");
}

/** The snippet as it should be now, from the committed Lua script. */
export function expectedPatch(): string {
  return argocdCmPatch(readFileSync(LUA_FILE, "utf8"));
}

if (import.meta.main) {
  const expected = expectedPatch();
  if (process.argv.includes("--check")) {
    if (readFileSync(PATCH_FILE, "utf8") !== expected) {
      console.error(`${PATCH_FILE} is stale: run \`node tools/argocd-cm/generate.ts\``);
      process.exit(1);
    }
  } else {
    writeFileSync(PATCH_FILE, expected);
    console.error(`wrote ${PATCH_FILE}`);
  }
}
