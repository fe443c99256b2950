/**
 * spec.gateways at its limit on the real API server: the generated CRD (crds/) is accepted
 * at maxItems MAX_GATEWAYS with its CEL rules costed per gateway, a spec with that many
 * gateways at the most expensive shape for those rules is admitted (within the runtime
 * cost budget), and one more gateway is refused naming spec.gateways, by admission and by
 * our zod validation alike.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_GATEWAYS } from "../../operator/api/gateways.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import { atLimit, MAX_PORTS, overLimit } from "../fixtures/max-gateways.ts";
import { meshConfig } from "../fixtures/invalid-meshconfigs.ts";
import { dryRunCreate, installMeshConfigCrd } from "./meshconfig-client.ts";

beforeAll(installMeshConfigCrd);

describe(`spec.gateways at its limit (${MAX_GATEWAYS})`, () => {
  it(`admits ${MAX_GATEWAYS} gateways of ${MAX_PORTS} node ports each, as zod does`, async () => {
    const spec = atLimit();
    const zod = validateSpec(spec);
    expect(zod.ok ? [] : zod.problems).toEqual([]);
    const admission = await dryRunCreate(meshConfig(spec));
    expect(admission.accepted ? "" : admission.message).toBe("");
    const stored = (admission.accepted ? admission.object : {}) as {
      spec?: { gateways?: unknown[] };
    };
    expect(stored.spec?.gateways).toHaveLength(MAX_GATEWAYS);
    expect(stored.spec).toEqual(zod.ok && zod.spec);
  });

  it(`refuses ${MAX_GATEWAYS + 1} gateways at spec.gateways, as zod does`, async () => {
    const spec = overLimit();
    const admission = await dryRunCreate(meshConfig(spec));
    expect(admission).toMatchObject({ accepted: false, status: 422 });
    const message = admission.accepted ? "" : admission.message;
    expect(message).toContain(`spec.gateways: Too many: ${MAX_GATEWAYS + 1}`);
    expect(message).toContain(`at most ${MAX_GATEWAYS} items`);
    const zod = validateSpec(spec);
    expect(zod.ok ? [] : zod.problems.map((p) => p.path)).toEqual(["spec.gateways"]);
  });
});
