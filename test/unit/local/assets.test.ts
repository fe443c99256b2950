import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cachedBinaryPath,
  locateBinary,
  surveyBinaries,
  testAssetVariable,
} from "../../../operator/local/assets.ts";
import { BINARIES } from "../../../operator/local/components.ts";
import { LocalClusterError } from "../../../operator/local/errors.ts";
import { scratchDir } from "../../scratch.ts";

function executable(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
  return path;
}

const spec = BINARIES.kubeApiserver;

describe("binary lookup", () => {
  it("names the variables the envtest way", () => {
    expect(testAssetVariable(spec)).toBe("TEST_ASSET_KUBE_APISERVER");
    expect(testAssetVariable(BINARIES.kubeControllerManager)).toBe(
      "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
    );
  });

  it("prefers TEST_ASSET_<NAME>, then KUBEBUILDER_ASSETS, then the cache", () => {
    const root = scratchDir("assets");
    const cacheEnv = { MESHKEEPER_CACHE_DIR: join(root, "cache") };
    const cached = executable(cachedBinaryPath(spec, cacheEnv));
    const assets = join(root, "assets");
    const fromAssets = executable(join(assets, "kube-apiserver"));
    const explicit = executable(join(root, "explicit", "kube-apiserver"));

    expect(locateBinary(spec, cacheEnv)).toEqual({ path: cached, source: "cache" });
    expect(locateBinary(spec, { ...cacheEnv, KUBEBUILDER_ASSETS: assets })).toEqual({
      path: fromAssets,
      source: "KUBEBUILDER_ASSETS",
    });
    expect(
      locateBinary(spec, {
        ...cacheEnv,
        KUBEBUILDER_ASSETS: assets,
        TEST_ASSET_KUBE_APISERVER: explicit,
      }),
    ).toEqual({ path: explicit, source: "TEST_ASSET" });
  });

  it("keys the cache by version", () => {
    const env = { MESHKEEPER_CACHE_DIR: "/c" };
    expect(cachedBinaryPath(spec, env)).toBe(
      `/c/bin/kube-apiserver/${spec.version}/kube-apiserver`,
    );
  });

  it("falls through KUBEBUILDER_ASSETS folders that lack a binary", () => {
    const root = scratchDir("assets");
    const env = { MESHKEEPER_CACHE_DIR: join(root, "cache"), KUBEBUILDER_ASSETS: root };
    expect(locateBinary(BINARIES.kwok, env)).toBeUndefined();
  });

  it("rejects a TEST_ASSET variable that points nowhere instead of silently building", () => {
    const env = { TEST_ASSET_KUBE_APISERVER: "/nonexistent/kube-apiserver" };
    expect(() => locateBinary(spec, env)).toThrow(LocalClusterError);
    expect(() => locateBinary(spec, env)).toThrow(/TEST_ASSET_KUBE_APISERVER=.*not an executable/);
  });

  it("reports every binary as missing in an empty cache", () => {
    const env = { MESHKEEPER_CACHE_DIR: scratchDir("assets") };
    expect(surveyBinaries(env).missing).toEqual(Object.keys(BINARIES));
  });
});
