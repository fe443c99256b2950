/**
 * The bundle and the catalog pass the ecosystem's own checks, as OperatorHub's pipeline
 * runs them: `operator-sdk bundle validate --select-optional suite=operatorframework`
 * with no error and no warning, and `opm validate`. The validators are built from
 * tools/olm-validators on first use (about 10 minutes on 2 cores) and cached per user.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  ensureValidators,
  validateBundle,
  validateCatalog,
  type ValidatorPaths,
} from "../../../operator/olm/validators.ts";

let paths: ValidatorPaths;

beforeAll(async () => {
  paths = await ensureValidators((line) => {
    console.error(`[olm-validators] ${line}`);
  });
}, 45 * 60_000);

describe("OLM validators", () => {
  it("operator-sdk finds no error and no warning in olm/bundle", async () => {
    expect(await validateBundle(paths.operatorSdk)).toEqual({ passed: true, findings: [] });
  });

  it("opm accepts olm/catalog", async () => {
    expect(await validateCatalog(paths.opm)).toEqual({ passed: true, findings: [] });
  });
});
