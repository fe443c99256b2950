import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBinaries, linkerFlags, parseGoVersion } from "../../../operator/local/build.ts";
import { BINARIES, KUBERNETES_VERSION } from "../../../operator/local/components.ts";
import { scratchDir } from "../../scratch.ts";

const quiet = () => undefined;

describe("binary build", () => {
  it("stamps the real Kubernetes version into the binaries", () => {
    const flags = linkerFlags(BINARIES.kubeApiserver);
    expect(flags).toContain(`-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`);
    expect(flags).toContain("-X k8s.io/component-base/version.gitMinor=36");
    expect(linkerFlags(BINARIES.kwok)).toContain("sigs.k8s.io/kwok/pkg/consts.Version=0.8.0");
  });

  it("reads go version output", () => {
    expect(parseGoVersion("go version go1.26.8 linux/amd64")).toEqual([1, 26]);
    expect(parseGoVersion("nonsense")).toBeUndefined();
  });

  it("says clearly when the Go toolchain is missing", async () => {
    const env = { PATH: "/nonexistent", MESHKEEPER_CACHE_DIR: scratchDir("b") };
    await expect(buildBinaries(["etcd"], env, quiet)).rejects.toThrow(
      /go was not found on PATH[\s\S]*install Go 1\.26/,
    );
  });

  it("says clearly when a Go module cannot be downloaded", async () => {
    const scratch = scratchDir("b");
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      // An empty module cache and no proxy: the download must fail, quickly.
      GOMODCACHE: join(scratch, "mod"),
      GOCACHE: join(scratch, "cache"),
      GOPROXY: "off",
      MESHKEEPER_CACHE_DIR: join(scratch, "meshkeeper"),
    };
    await expect(buildBinaries(["kwok"], env, quiet)).rejects.toThrow(
      /downloading the Go modules of .*tools\/kwok failed[\s\S]*GOPROXY=off/,
    );
  });
});
