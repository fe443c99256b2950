/**
 * Builds missing control-plane binaries from the Go modules pinned in tools/, then
 * installs them into the per-user cache so every later run starts in seconds.
 * A cold build compiles a few thousand packages, so it reports progress as it goes.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot, cachedBinaryPath, type Env } from "./assets.ts";
import { runCommand, tail } from "./command.ts";
import { cleanupOnExit } from "./cleanup-on-exit.ts";
import { BINARIES, type BinaryKey, type BinarySpec } from "./components.ts";
import { LocalClusterError } from "./errors.ts";

const TOOLS_DIR = fileURLToPath(new URL("../../tools/", import.meta.url));
const MINIMUM_GO = [1, 26] as const;
const PROGRESS_INTERVAL_MS = 10_000;

export type Progress = (message: string) => void;

const GO_MISSING_HINT =
  "install Go 1.26 or newer (it is only needed once, to build the binaries), " +
  "or point TEST_ASSET_<NAME> / KUBEBUILDER_ASSETS at prebuilt ones";

function goEnvironment(env: Env): NodeJS.ProcessEnv {
  // Static binaries that never ask the network for a newer Go toolchain mid-build.
  return { ...env, CGO_ENABLED: "0", GOTOOLCHAIN: "local" };
}

export function parseGoVersion(output: string): readonly [number, number] | undefined {
  const match = /go(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

async function checkGo(env: Env): Promise<void> {
  const result = await runCommand("go", ["version"], {
    env: goEnvironment(env),
    missingHint: GO_MISSING_HINT,
  });
  const version = parseGoVersion(result.stdout);
  const [major, minor] = version ?? [0, 0];
  if (major < MINIMUM_GO[0] || (major === MINIMUM_GO[0] && minor < MINIMUM_GO[1])) {
    throw new LocalClusterError(
      `Go ${MINIMUM_GO.join(".")} or newer is needed to build the control plane, found: ${result.stdout.trim() || "nothing"}`,
      GO_MISSING_HINT,
    );
  }
}

export function linkerFlags(spec: BinarySpec): string {
  const stamps = Object.entries(spec.versionStamps).map(([name, value]) => `-X ${name}=${value}`);
  return ["-s", "-w", ...stamps].join(" ");
}

async function downloadModules(moduleDir: string, env: Env, progress: Progress): Promise<void> {
  progress(`downloading Go modules for ${moduleDir}`);
  const result = await runCommand("go", ["mod", "download"], {
    cwd: moduleDir,
    env: goEnvironment(env),
    missingHint: GO_MISSING_HINT,
  });
  if (result.code !== 0) {
    throw new LocalClusterError(
      `downloading the Go modules of ${moduleDir} failed:\n${tail(result.stderr)}`,
      `check that the Go module proxy is reachable (GOPROXY=${env.GOPROXY ?? "default"}) and retry`,
    );
  }
}

async function countPackages(moduleDir: string, packages: readonly string[], env: Env) {
  const result = await runCommand("go", ["list", "-deps", ...packages], {
    cwd: moduleDir,
    env: goEnvironment(env),
    missingHint: GO_MISSING_HINT,
  });
  return result.code === 0 ? result.stdout.trim().split("\n").length : undefined;
}

function progressReporter(label: string, total: number | undefined, progress: Progress) {
  const started = Date.now();
  let compiled = 0;
  let lastReport = started;
  return (line: string) => {
    // `go build -v` names each package as it compiles it; cached packages are silent.
    if (!/^[\w.-]+(\/[\w.~+-]+)*$/.test(line.trim())) return;
    compiled += 1;
    const now = Date.now();
    if (now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const seconds = Math.round((now - started) / 1000);
    const of = total ? `/${total}` : "";
    progress(`building ${label}: ${compiled}${of} packages compiled (${seconds}s)`);
  };
}

async function buildGroup(specs: readonly BinarySpec[], env: Env, progress: Progress) {
  const first = specs[0];
  if (!first) return;
  const moduleDir = join(TOOLS_DIR, first.toolsModule);
  await downloadModules(moduleDir, env, progress);
  const packages = specs.map((spec) => spec.goPackage);
  const total = await countPackages(moduleDir, packages, env);
  const label = `${specs.map((spec) => spec.name).join(", ")} ${first.version}`;
  progress(`building ${label} (CGO_ENABLED=0; a cold build takes several minutes)`);

  const root = cacheRoot(env);
  mkdirSync(root, { recursive: true });
  const outDir = mkdtempSync(join(root, "build-"));
  const forgetOutDir = cleanupOnExit(() => {
    rmSync(outDir, { recursive: true, force: true });
  });
  try {
    // One binary: -o names the file. Several: -o names a folder, files named by package.
    const output = specs.length === 1 ? join(outDir, first.name) : `${outDir}/`;
    const args = ["build", "-v", "-ldflags", linkerFlags(first), "-o", output, ...packages];
    const result = await runCommand("go", args, {
      cwd: moduleDir,
      env: goEnvironment(env),
      missingHint: GO_MISSING_HINT,
      onStderrLine: progressReporter(label, total, progress),
    });
    if (result.code !== 0) {
      throw new LocalClusterError(
        `building ${label} failed (go build exited ${result.code}):\n${tail(result.stderr)}`,
        `fix the cause above and run \`npm run build:binaries\` again`,
      );
    }
    for (const spec of specs) {
      const target = cachedBinaryPath(spec, env);
      mkdirSync(join(target, ".."), { recursive: true });
      renameSync(join(outDir, spec.name), target);
    }
    progress(`built ${label} into ${join(root, "bin")}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    forgetOutDir();
  }
}

/** Builds the given binaries (grouped per tools module so shared packages compile once). */
export async function buildBinaries(
  keys: readonly BinaryKey[],
  env: Env = process.env,
  progress: Progress = (message) => {
    console.error(message);
  },
): Promise<void> {
  await buildSpecs(
    keys.map((key) => BINARIES[key]),
    env,
    progress,
  );
}

/** Builds the given binaries of any set (the control plane's, Istio's), one group per tools module. */
export async function buildSpecs(
  specs: readonly BinarySpec[],
  env: Env = process.env,
  progress: Progress = (message) => {
    console.error(message);
  },
): Promise<void> {
  if (specs.length === 0) return;
  await checkGo(env);
  const groups = new Map<string, BinarySpec[]>();
  for (const spec of specs) {
    groups.set(spec.toolsModule, [...(groups.get(spec.toolsModule) ?? []), spec]);
  }
  for (const group of groups.values()) await buildGroup(group, env, progress);
}
