/**
 * The Argo CD health check (config/argocd/health-meshconfig.lua), run by Debian's lua5.1
 * in a base-library-only sandbox, on one MeshConfig per combination of conditions.
 * Without lua5.1 these tests fail and say `apt-get install lua5.1`: they never skip.
 */
import { describe, expect, it } from "vitest";
import { argoHealth, toLua } from "./health-harness.ts";
import { CASES } from "./statuses.ts";

describe("the MeshConfig health check in Lua 5.1", () => {
  for (const { name, object, argo } of CASES) {
    it(`${name}: ${argo[0]}`, () => {
      const health = argoHealth(object);
      expect(health.status).toBe(argo[0]);
      expect(health.message).toContain(argo[1]);
    });
  }

  it("passes a condition's message through byte for byte (quotes, newlines, UTF-8)", () => {
    const message = 'version "1.20.0" isn\'t supported\n\tuse 1.31.1 — or 1.29.2 \\ ✓';
    const health = argoHealth({
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        conditions: [{ type: "Stalled", status: "True", reason: "UnsupportedVersion", message }],
      },
    });
    expect(health).toEqual({ status: "Degraded", message: `UnsupportedVersion: ${message}` });
  });

  it("falls back to its own words when a condition has no message", () => {
    const health = argoHealth({
      metadata: { generation: 1 },
      status: { observedGeneration: 1, conditions: [{ type: "Stalled", status: "True" }] },
    });
    expect(health).toEqual({ status: "Degraded", message: "Stalled: a person must act" });
  });

  it("survives malformed statuses without a Lua error", () => {
    for (const status of [
      { observedGeneration: "1" },
      { observedGeneration: 1, conditions: "Ready" },
      { observedGeneration: 1, conditions: [null, 7, { type: "Ready" }] },
    ]) {
      expect(argoHealth({ metadata: { generation: 1 }, status }).status).toBe("Progressing");
    }
    // Without metadata.generation (never so on a live object) the conditions decide.
    expect(
      argoHealth({
        status: {
          observedGeneration: 0,
          conditions: [{ type: "Ready", status: "True", message: "ok" }],
        },
      }),
    ).toEqual({ status: "Healthy", message: "ok" });
  });
});

describe("the JSON to Lua converter", () => {
  it("writes tables, strings with escapes, numbers, booleans, and drops nulls", () => {
    expect(toLua({ a: [1, -1.5, true], "b c": null, d: 'x"\\\n' })).toBe(
      '{["a"] = {1, -1.5, true}, ["d"] = "x\\"\\\\\\010"}',
    );
    expect(toLua("é")).toBe('"\\195\\169"');
    expect(toLua([])).toBe("{}");
  });
});
