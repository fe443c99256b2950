/**
 * Cold build time of the control-plane binaries: an empty Go build cache and an empty
 * binary cache, so every package compiles. Modules already downloaded are reused unless
 * --fresh-modules is given. Run: npm run bench:cold-build [-- --fresh-modules]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildBinaries } from "../operator/local/build.ts";
import type { BinaryKey } from "../operator/local/components.ts";
import { printTable, seconds } from "./table.ts";

const { values } = parseArgs({ options: { "fresh-modules": { type: "boolean", default: false } } });
const scratch = mkdtempSync(join(tmpdir(), "cold-build-"));
const env = {
  ...process.env,
  GOCACHE: join(scratch, "go-build"),
  MESHKEEPER_CACHE_DIR: join(scratch, "meshkeeper"),
  ...(values["fresh-modules"]
    ? { GOMODCACHE: join(scratch, "go-mod"), GOFLAGS: "-modcacherw" }
    : {}),
};
const groups: [string, BinaryKey[]][] = [
  ["etcd", ["etcd"]],
  [
    "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl",
    ["kubeApiserver", "kubeControllerManager", "kubeScheduler", "kubectl"],
  ],
  ["kwok", ["kwok"]],
];
const rows: string[][] = [];
let total = 0;
try {
  for (const [label, keys] of groups) {
    const started = Date.now();
    await buildBinaries(keys, env, (line) => {
      console.error(line);
    });
    const elapsed = Date.now() - started;
    total += elapsed;
    rows.push([label, seconds(elapsed)]);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
rows.push(["total", seconds(total)]);
printTable(
  `Cold build of the control-plane binaries (${values["fresh-modules"] ? "with" : "without"} module downloads; 2 cores)`,
  ["binaries", "time"],
  rows,
  `npm run bench:cold-build${values["fresh-modules"] ? " -- --fresh-modules" : ""}`,
);
