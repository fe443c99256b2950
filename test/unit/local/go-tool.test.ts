/**
 * The Go test helpers are found like the control-plane binaries: TEST_ASSET_<NAME> first
 * (a setting that points nowhere is an error, never a silent build), else the cache keyed
 * by the module's source hash.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureGoTool, GO_TOOLS, goToolPath } from "../../../operator/local/go-tool.ts";
import { scratchDir } from "../../scratch.ts";

function executable(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
  return path;
}

describe("Go test helpers", () => {
  it("take TEST_ASSET_<NAME> when set, before the cache", async () => {
    const root = scratchDir("go-tool");
    const prebuilt = executable(join(root, "prebuilt", "argocd-health"));
    const env = { MESHKEEPER_CACHE_DIR: join(root, "cache"), TEST_ASSET_ARGOCD_HEALTH: prebuilt };
    executable(goToolPath("argocd-health", env));
    await expect(ensureGoTool("argocd-health", env)).resolves.toBe(prebuilt);
  });

  it("refuse a TEST_ASSET_<NAME> that is not an executable instead of building", async () => {
    const env = {
      MESHKEEPER_CACHE_DIR: scratchDir("go-tool-cache"),
      TEST_ASSET_PKI_CHECK: "/nonexistent/pki-check",
    };
    await expect(ensureGoTool("pki-check", env)).rejects.toThrow(
      /TEST_ASSET_PKI_CHECK=\/nonexistent\/pki-check is not an executable file/,
    );
  });

  it("reuse a cached build of the same sources", async () => {
    const env = { MESHKEEPER_CACHE_DIR: scratchDir("go-tool-cached") };
    for (const tool of GO_TOOLS) {
      const cached = executable(goToolPath(tool, env));
      expect(cached).toMatch(new RegExp(`/tools/${tool}/[0-9a-f]{16}/${tool}$`));
      await expect(ensureGoTool(tool, env)).resolves.toBe(cached);
    }
  });
});
