/**
 * Builds a small Go helper from its own module under tools/ (kstatus-check, say) into the
 * per-user cache, keyed by a hash of the module's sources, so tests pay for `go build`
 * once and then run a binary in milliseconds. Modules come from the Go module proxy the
 * first time and from the module cache after that: a warm machine builds offline.
 * TEST_ASSET_<NAME> (TEST_ASSET_ARGOCD_HEALTH, say) points at a prebuilt one instead, as
 * for the control-plane binaries; `npm run build:binaries` builds them all up front.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot, isExecutableFile, testAssetVariable, type Env } from "./assets.ts";
import { cleanupOnExit } from "./cleanup-on-exit.ts";
import { runCommand, tail } from "./command.ts";
import { LocalClusterError } from "./errors.ts";

const TOOLS_DIR = fileURLToPath(new URL("../../tools/", import.meta.url));

const GO_MISSING_HINT = "install Go 1.26 or newer (it builds the test helpers in tools/)";

/** The test helpers under tools/, each its own Go module named like its binary. */
export const GO_TOOLS = ["argocd-health", "kstatus-check", "pki-check"] as const;
export type GoToolName = (typeof GO_TOOLS)[number];

/** The files that decide what the binary is: go.mod, go.sum and the Go sources. */
function sourceFiles(moduleDir: string): string[] {
  return readdirSync(moduleDir)
    .filter((name) => name === "go.mod" || name === "go.sum" || name.endsWith(".go"))
    .sort();
}

/** A short hash of the module's sources: a changed pin or a changed line builds anew. */
export function sourceHash(moduleDir: string): string {
  const hash = createHash("sha256");
  for (const name of sourceFiles(moduleDir)) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(moduleDir, name)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

export function goToolPath(name: GoToolName, env: Env = process.env): string {
  const moduleDir = join(TOOLS_DIR, name);
  return join(cacheRoot(env), "tools", name, sourceHash(moduleDir), name);
}

/**
 * The path of tools/<name> built as a binary, building it first when the cache has no
 * build of these exact sources. Safe to call from several test files at once: each builds
 * into its own folder and the last rename wins with an identical file.
 */
export async function ensureGoTool(name: GoToolName, env: Env = process.env): Promise<string> {
  const variable = testAssetVariable({ name });
  const explicit = env[variable];
  if (explicit) {
    // An explicit setting that points nowhere is a mistake to report, not a reason to build.
    if (!isExecutableFile(explicit)) {
      throw new LocalClusterError(
        `${variable}=${explicit} is not an executable file`,
        `fix or unset ${variable}; unset, tools/${name} is built into the cache`,
      );
    }
    return explicit;
  }
  const target = goToolPath(name, env);
  if (existsSync(target)) return target;
  const moduleDir = join(TOOLS_DIR, name);
  const root = cacheRoot(env);
  mkdirSync(root, { recursive: true });
  const outDir = mkdtempSync(join(root, `build-${name}-`));
  const forgetOutDir = cleanupOnExit(() => {
    rmSync(outDir, { recursive: true, force: true });
  });
  try {
    const result = await runCommand(
      "go",
      ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(outDir, name), "."],
      {
        cwd: moduleDir,
        // Static, and never a toolchain download mid-build; modules come from GOPROXY/GOFLAGS.
        env: { ...env, CGO_ENABLED: "0", GOTOOLCHAIN: "local" },
        missingHint: GO_MISSING_HINT,
      },
    );
    if (result.code !== 0) {
      throw new LocalClusterError(
        `building tools/${name} failed (go build exited ${result.code}):\n${tail(result.stderr)}`,
        `check that the Go module proxy is reachable (GOPROXY=${env.GOPROXY ?? "default"}) the first time, then retry`,
      );
    }
    mkdirSync(join(target, ".."), { recursive: true });
    renameSync(join(outDir, name), target);
    return target;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    forgetOutDir();
  }
}
