/**
 * The ecosystem's own validators for what `npm run bundle` makes: `operator-sdk bundle
 * validate` (the operatorframework suite) and `opm validate`. Both are built once from the
 * Go module in tools/olm-validators (CGO off, `containers_image_openpgp` so no C GPG
 * library is needed) into the same per-user cache as the control-plane binaries, and
 * found through the same lookup (TEST_ASSET_OPERATOR_SDK / TEST_ASSET_OPM, the cache).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, cachedBinaryPath, locateBinary } from "../local/assets.ts";
import { linkerFlags } from "../local/build.ts";
import { cleanupOnExit } from "../local/cleanup-on-exit.ts";
import { runCommand, tail } from "../local/command.ts";
import type { BinarySpec } from "../local/components.ts";
import { LocalClusterError } from "../local/errors.ts";
import { BUNDLE_DIR, CATALOG_DIR, OPM_VERSION } from "./metadata.ts";
import { REPO_ROOT } from "./kustomize.ts";

export const OPERATOR_SDK_VERSION = "v1.42.2";
export { OPM_VERSION } from "./metadata.ts";
const TOOLS_MODULE = "olm-validators";
const BUILD_TAGS = "containers_image_openpgp";

export const VALIDATORS = {
  operatorSdk: {
    name: "operator-sdk",
    version: OPERATOR_SDK_VERSION,
    toolsModule: TOOLS_MODULE,
    goPackage: "github.com/operator-framework/operator-sdk/cmd/operator-sdk",
    versionStamps: {
      "github.com/operator-framework/operator-sdk/internal/version.Version": OPERATOR_SDK_VERSION,
      "github.com/operator-framework/operator-sdk/internal/version.GitVersion":
        OPERATOR_SDK_VERSION,
    },
  },
  opm: {
    name: "opm",
    version: OPM_VERSION,
    toolsModule: TOOLS_MODULE,
    goPackage: "github.com/operator-framework/operator-registry/cmd/opm",
    versionStamps: {
      "github.com/operator-framework/operator-registry/cmd/opm/version.opmVersion": OPM_VERSION,
    },
  },
} as const satisfies Record<string, BinarySpec>;

type Progress = (message: string) => void;

const GO_HINT =
  "install Go 1.26 or newer (only needed once, to build the validators), or point " +
  "TEST_ASSET_OPERATOR_SDK and TEST_ASSET_OPM at prebuilt ones";

/** Builds both validators in one `go build` (they share most packages) into the cache. */
async function build(progress: Progress): Promise<void> {
  const specs = Object.values(VALIDATORS);
  const moduleDir = join(REPO_ROOT, "tools", TOOLS_MODULE);
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const outDir = mkdtempSync(join(root, "build-"));
  const forgetOutDir = cleanupOnExit(() => {
    rmSync(outDir, { recursive: true, force: true });
  });
  const env = { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local" };
  // One -ldflags for both binaries: a -X for a package a binary lacks is ignored.
  const stamps = { ...VALIDATORS.operatorSdk.versionStamps, ...VALIDATORS.opm.versionStamps };
  const ldflags = linkerFlags({ ...VALIDATORS.opm, versionStamps: stamps });
  progress(
    `building operator-sdk ${OPERATOR_SDK_VERSION} and opm ${OPM_VERSION} from tools/${TOOLS_MODULE} (CGO_ENABLED=0; a cold build takes about 10 minutes on 2 cores)`,
  );
  try {
    const args = ["build", "-tags", BUILD_TAGS, "-ldflags", ldflags, "-o", `${outDir}/`];
    const result = await runCommand("go", [...args, ...specs.map((s) => s.goPackage)], {
      cwd: moduleDir,
      env,
      missingHint: GO_HINT,
    });
    if (result.code !== 0)
      throw new LocalClusterError(
        `building the OLM validators failed (go build exited ${result.code}):\n${tail(result.stderr)}`,
        `fix the cause above and run \`npm run bundle -- --validate\` again`,
      );
    for (const spec of specs) {
      const target = cachedBinaryPath(spec);
      mkdirSync(join(target, ".."), { recursive: true });
      renameSync(join(outDir, spec.name), target);
    }
    progress(`built operator-sdk and opm into ${join(root, "bin")}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    forgetOutDir();
  }
}

export interface ValidatorPaths {
  readonly operatorSdk: string;
  readonly opm: string;
}

/** Where the validators are, building them first when either is missing. */
export async function ensureValidators(
  progress: Progress = (message) => {
    console.error(message);
  },
): Promise<ValidatorPaths> {
  if (!locateBinary(VALIDATORS.operatorSdk) || !locateBinary(VALIDATORS.opm))
    await build(progress);
  const operatorSdk = locateBinary(VALIDATORS.operatorSdk)?.path;
  const opm = locateBinary(VALIDATORS.opm)?.path;
  if (!operatorSdk || !opm)
    throw new LocalClusterError("the OLM validators are still missing after the build", GO_HINT);
  return { operatorSdk, opm };
}

export interface ValidationReport {
  readonly passed: boolean;
  /** Every error and warning, as "type: message"; empty when all is well. */
  readonly findings: readonly string[];
}

/** `operator-sdk bundle validate olm/bundle --select-optional suite=operatorframework`. */
export async function validateBundle(operatorSdk: string): Promise<ValidationReport> {
  const result = await runCommand(
    operatorSdk,
    [
      "bundle",
      "validate",
      BUNDLE_DIR,
      "--select-optional",
      "suite=operatorframework",
      "-o",
      "json-alpha1",
    ],
    { cwd: REPO_ROOT, missingHint: GO_HINT },
  );
  try {
    const report = JSON.parse(result.stdout) as {
      passed: boolean;
      outputs: { type: string; message: string }[] | null;
    };
    const findings = (report.outputs ?? []).map((o) => `${o.type}: ${o.message}`);
    return { passed: report.passed && result.code === 0, findings };
  } catch {
    return { passed: false, findings: [`error: ${result.stdout}${result.stderr}`.trim()] };
  }
}

/** `opm validate olm/catalog`: silent and exit 0 when the catalog is valid. */
export async function validateCatalog(opm: string): Promise<ValidationReport> {
  const result = await runCommand(opm, ["validate", CATALOG_DIR], {
    cwd: REPO_ROOT,
    missingHint: GO_HINT,
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  return { passed: result.code === 0, findings: output ? [output] : [] };
}
