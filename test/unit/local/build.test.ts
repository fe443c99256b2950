import { chmodSync, writeFileSync } from "node:fs";
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

/** A stand-in `go` on PATH that answers each subcommand as told. */
function fakeGo(script: string): NodeJS.ProcessEnv {
  const bin = scratchDir("fake-go");
  writeFileSync(join(bin, "go"), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, "go"), 0o755);
  return { PATH: `${bin}:/usr/bin:/bin`, MESHKEEPER_CACHE_DIR: scratchDir("b") };
}

describe("binary build failures", () => {
  it("says clearly when Go is too old", async () => {
    const env = fakeGo('echo "go version go1.20.1 linux/amd64"');
    await expect(buildBinaries(["kwok"], env, quiet)).rejects.toThrow(
      "Go 1.26 or newer is needed to build the control plane, found: go version go1.20.1 linux/amd64",
    );
  });

  it("quotes the compiler when the build fails", async () => {
    const env = fakeGo(
      [
        'case "$1" in',
        '  version) echo "go version go1.26.8 linux/amd64";;',
        "  mod|list) exit 0;;",
        '  build) echo "cmd/kwok/main.go:3:1: syntax error: unexpected }" >&2; exit 2;;',
        "esac",
      ].join("\n"),
    );
    await expect(buildBinaries(["kwok"], env, quiet)).rejects.toThrow(
      /building kwok v0\.8\.0 failed \(go build exited 2\):\ncmd\/kwok\/main\.go:3:1: syntax error/,
    );
  });
});
