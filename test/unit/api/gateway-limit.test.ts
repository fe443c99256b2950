/**
 * The gateway limit in its twins: zod's max, the CRD's spec.gateways maxItems and the
 * status' per-gateway map; a spec at the limit passes zod, one more gateway is refused at
 * spec.gateways. (The API server's side: test/integration/gateway-limit.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { meshConfigCrd } from "../../../operator/api/crd.ts";
import { MAX_GATEWAYS } from "../../../operator/api/gateways.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import { atLimit, overLimit } from "../../fixtures/max-gateways.ts";

type Schema = Record<string, any>;
const crd: Schema = meshConfigCrd();
const schema: Schema = crd.spec.versions[0].schema.openAPIV3Schema;

describe("the gateway limit", () => {
  it("is at least 100, and the CRD says the same in spec and status", () => {
    expect(MAX_GATEWAYS).toBeGreaterThanOrEqual(100);
    expect(schema.properties.spec.properties.gateways.maxItems).toBe(MAX_GATEWAYS);
    const status = schema.properties.status.properties.components.properties.gateways;
    expect(status.maxProperties).toBe(MAX_GATEWAYS);
  });

  it("admits a costly spec at the limit and refuses one more gateway at spec.gateways", () => {
    const at = validateSpec(atLimit());
    expect(at.ok ? [] : at.problems).toEqual([]);
    expect(at.ok && at.spec.gateways).toHaveLength(MAX_GATEWAYS);
    const over = validateSpec(overLimit());
    expect(over.ok ? [] : over.problems).toEqual([
      { path: "spec.gateways", message: `Too big: expected array to have <=${MAX_GATEWAYS} items` },
    ]);
  });
});
