/**
 * spec.updateStrategy in the reconciler's own validation (the API server's CEL twin is
 * checked by test/integration/meshconfig-api.test.ts on the same cases): defaults, and the
 * contradictory combinations refused at the field that is wrong.
 */
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";

const problems = (spec: unknown) => {
  const result = validateSpec(spec);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
};

describe("spec.updateStrategy", () => {
  it("defaults to InPlace, with no grace period written", () => {
    const result = validateSpec({ version: "1.31.1" });
    expect(result.ok && result.spec.updateStrategy).toEqual({ type: "InPlace" });
  });

  it("takes RevisionBased with a grace period from 0 up", () => {
    for (const seconds of [0, 30, 2_592_000])
      expect(
        problems({
          version: "1.31.1",
          updateStrategy: {
            type: "RevisionBased",
            inactiveRevisionDeletionGracePeriodSeconds: seconds,
          },
        }),
      ).toEqual([]);
  });

  it("refuses a grace period with InPlace, naming the field", () => {
    const found = problems({
      version: "1.31.1",
      updateStrategy: { type: "InPlace", inactiveRevisionDeletionGracePeriodSeconds: 10 },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^spec\.updateStrategy\.inactiveRevisionDeletionGracePeriodSeconds: .*RevisionBased/,
    );
  });

  it("takes updateWorkloads with a batch size from 1 to 100, and either strategy", () => {
    for (const type of ["InPlace", "RevisionBased"])
      for (const size of [1, 5, 100])
        expect(
          problems({
            version: "1.31.1",
            updateStrategy: { type, updateWorkloads: true, updateWorkloadsBatchSize: size },
          }),
        ).toEqual([]);
    expect(problems({ version: "1.31.1", updateStrategy: { updateWorkloads: false } })).toEqual([]);
  });

  it("refuses a batch size without updateWorkloads: true, naming the field; and 0 or 101", () => {
    for (const strategy of [{}, { updateWorkloads: false }]) {
      const found = problems({
        version: "1.31.1",
        updateStrategy: { ...strategy, updateWorkloadsBatchSize: 2 },
      });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        /^spec\.updateStrategy\.updateWorkloadsBatchSize: .*updateWorkloads: true/,
      );
    }
    for (const size of [0, 101])
      expect(
        problems({
          version: "1.31.1",
          updateStrategy: { updateWorkloads: true, updateWorkloadsBatchSize: size },
        }),
      ).toHaveLength(1);
  });

  it("refuses a spec.revision that makes the derived revision name too long, saying the name", () => {
    const found = problems({
      version: "1.31.1",
      revision: "r".repeat(50),
      updateStrategy: { type: "RevisionBased" },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(
      `spec.revision: with updateStrategy RevisionBased the revision would be ${"r".repeat(50)}-1-31-1`,
    );
    // The same prefix is fine InPlace: the revision is used as written.
    expect(problems({ version: "1.31.1", revision: "r".repeat(50) })).toEqual([]);
  });
});
