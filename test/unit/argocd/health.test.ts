/**
 * The Argo CD health check (config/argocd/health-meshconfig.lua) as Argo CD runs it:
 * tools/argocd-health evaluates it in gopher-lua with Argo CD's sandbox (base, package,
 * table and a safe os only, one second, the returned table read through JSON), on one
 * MeshConfig per combination of conditions. The second block checks the sandbox itself,
 * so a script that would fail in Argo CD fails here too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratchDir } from "../../scratch.ts";
import {
  argoHealthChecker,
  healthRunner,
  type Health,
  type HealthOptions,
  type HealthRun,
} from "./health-harness.ts";
import { CASES } from "./statuses.ts";

let argoHealth: (object: unknown) => Health;
let run: (object: unknown, options?: HealthOptions) => HealthRun;

beforeAll(async () => {
  // A cold build downloads gopher-lua and compiles it: seconds, once per source change.
  [argoHealth, run] = await Promise.all([argoHealthChecker(), healthRunner()]);
}, 300_000);

describe("the MeshConfig health check in Argo CD's Lua VM", () => {
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

/** Runs a one-off script in the sandbox. */
function script(source: string, object: unknown = {}, options: HealthOptions = {}): HealthRun {
  const file = join(scratchDir("argocd-health"), "check.lua");
  writeFileSync(file, source);
  return run(object, { ...options, script: file });
}

function answer(result: HealthRun): unknown {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe("Argo CD's sandbox in tools/argocd-health", () => {
  it("opens only base, table and the safe os unless useOpenLibs is set", () => {
    for (const library of ["string", "math", "io", "debug", "coroutine"]) {
      const source = `return { status = "Healthy", message = type(${library}) }`;
      expect(answer(script(source))).toEqual({ status: "Healthy", message: "nil" });
      expect(answer(script(source, {}, { openLibs: true }))).toEqual({
        status: "Healthy",
        message: "table",
      });
    }
    const tableAndBase =
      'local t = {} table.insert(t, tostring(#obj.items)) return { status = "Healthy", message = t[1] }';
    expect(answer(script(tableAndBase, { items: [1, 2, 3] }))).toEqual({
      status: "Healthy",
      message: "3",
    });
  });

  it("keeps os to time and date (also as require('os')); useOpenLibs opens all of os", () => {
    const probe =
      'local os2 = require("os") return { status = "Healthy", message = type(os.exit) .. type(os.getenv) .. os2.date("!%Y-%m-%dT%H:%M:%SZ", 86400) .. type(os.time()) }';
    expect(answer(script(probe))).toEqual({
      status: "Healthy",
      message: "nilnil1970-01-02T00:00:00Znumber",
    });
    // Argo CD adds its safe functions to the os table the open libraries already made.
    expect(answer(script(probe, {}, { openLibs: true }))).toEqual({
      status: "Healthy",
      message: "functionfunction1970-01-02T00:00:00Znumber",
    });
  });

  it("fails a script that uses a library Argo CD does not open", () => {
    const result = script('return { status = "Healthy", message = string.format("%d", 1) }');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/attempt to index a non-table object\(nil\) with key 'format'/);
  });

  it("stops a script after Argo CD's one second", () => {
    const started = Date.now();
    const result = script("while true do end");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ran longer than 1s/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reads the answer as Argo CD does: a table, a known status, strings only", () => {
    expect(script("return 7").stderr).toMatch(/expect table output from Lua script, not number/);
    expect(answer(script('return { status = "Fine" }'))).toEqual({
      status: "Unknown",
      message: "Lua returned an invalid health status",
    });
    expect(answer(script('return { status = "Suspended" }'))).toEqual({
      status: "Suspended",
      message: "",
    });
    expect(script('return { status = "Healthy", message = 5 }').code).toBe(1);
  });

  it("hands the object over as Argo CD does: nested tables, numbers, booleans, nil for null", () => {
    const source =
      'return { status = "Healthy", message = type(obj.a) .. obj.a[2].b .. tostring(obj.n + 1) .. tostring(obj.t) .. tostring(obj.z) }';
    expect(answer(script(source, { a: [1, { b: "x" }], n: 1.5, t: true, z: null }))).toEqual({
      status: "Healthy",
      message: "tablex2.5truenil",
    });
  });
});
