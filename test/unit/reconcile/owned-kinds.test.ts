import { describe, expect, it } from "vitest";
import { OWNED_KINDS } from "../../../operator/reconcile/owned-kinds.ts";
import { renderSample, SAMPLE_FILES } from "./samples.ts";

const key = ({ apiVersion, kind }: { apiVersion: string; kind: string }) => `${apiVersion} ${kind}`;
const owned = new Set(OWNED_KINDS.map(key));

describe("OWNED_KINDS", () => {
  it("lists each kind once", () => {
    expect(owned.size).toBe(OWNED_KINDS.length);
  });

  it("has samples to check against", () => {
    expect(SAMPLE_FILES).toEqual(
      expect.arrayContaining(["minimal.yaml", "production.yaml"]) as unknown,
    );
  });

  for (const file of SAMPLE_FILES) {
    it(`watches every apiVersion and kind rendered from ${file}`, () => {
      const rendered = new Set(renderSample(file).map((r) => key(r.object)));
      expect(rendered.size).toBeGreaterThan(0);
      expect([...rendered].filter((k) => !owned.has(k))).toEqual([]);
    });
  }
});
