/**
 * The operator bundle (operator/build/operator-bundle.ts): built fresh before an operator
 * starts, stale as soon as any input changes, the `run` command and nothing heavier.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureOperatorBundle,
  INPUTS_FILE,
  OPERATOR_BUNDLE,
  staleReason,
} from "../../../operator/build/operator-bundle.ts";
import { RUN_USAGE } from "../../../operator/cli/run.ts";

const work = mkdtempSync(join(tmpdir(), "meshkeeper-bundle-test-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("dist/meshkeeper.js", () => {
  beforeAll(() => {
    ensureOperatorBundle();
  }, 120_000);

  it("is fresh once ensured: every recorded input hashes as recorded", () => {
    expect(staleReason()).toBeUndefined();
  });

  it("is stale when any recorded input differs, and says which", () => {
    const recorded = JSON.parse(readFileSync(INPUTS_FILE, "utf8")) as {
      files: Record<string, string>;
    };
    const changed = join(work, "inputs.json");
    recorded.files["operator/cli/run.ts"] = "0".repeat(64);
    writeFileSync(changed, JSON.stringify(recorded));
    expect(staleReason(changed)).toBe("operator/cli/run.ts changed since the last build");
    recorded.files["operator/cli/gone.ts"] = "0".repeat(64);
    delete recorded.files["operator/cli/run.ts"];
    writeFileSync(changed, JSON.stringify(recorded));
    expect(staleReason(changed)).toBe("operator/cli/gone.ts no longer exists");
    expect(staleReason(join(work, "missing.json"))).toMatch(/has not been built/);
  });

  it("holds the run path and none of the other commands' dependencies", () => {
    const inputs = Object.keys(
      (JSON.parse(readFileSync(INPUTS_FILE, "utf8")) as { files: Record<string, string> }).files,
    );
    expect(inputs).toContain("operator/cli/run.ts");
    expect(inputs).toContain("operator/runtime/manager.ts");
    const heavy = inputs.filter((f) =>
      /@kubernetes\/client-node|kubernetes-models|typescript|operator\/(local|olm)\//.test(f),
    );
    expect(heavy).toEqual([]);
  });

  it("runs `meshkeeper run --help` as the sources do", () => {
    const out = execFileSync(process.execPath, [OPERATOR_BUNDLE, "run", "--help"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe(RUN_USAGE);
  });

  it("sends the other commands to the sources with a usage error", () => {
    const result = spawnSync(process.execPath, [OPERATOR_BUNDLE, "status"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      "error: 'meshkeeper status' is not part of the operator build (dist/meshkeeper.js runs the operator only); run it from the sources: npm run meshkeeper -- status",
    );
  });
});
