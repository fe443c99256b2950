/**
 * What a no-op reconcile no longer repeats (docs/footprint.md, "The operator under load"):
 * the post-render copies, the CA-hashed istiod and the applier's content hashes and field
 * sets are remembered per input object, and a Managed mesh's Gateway API gate reads the
 * gateways CRD from the watch cache instead of the API server.
 */
import { describe, expect, it, vi } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import type { KubeObject } from "../../../operator/kube/object.ts";
import { FIELD_MANAGER } from "../../../operator/kube/server-side-apply.ts";
import { ObjectApplier } from "../../../operator/reconcile/applier.ts";
import { withCaHash } from "../../../operator/reconcile/ca-status.ts";
import { BUNDLE_VERSION, GATEWAY_CRD } from "../../../operator/reconcile/gateway-api-check.ts";
import { withGatewayApi } from "../../../operator/reconcile/gateway-api-gate.ts";
import { postRender } from "../../../operator/reconcile/post-render.ts";
import { remembered, rememberedBy } from "../../../operator/reconcile/remember.ts";
import type { RenderedObject } from "../../../operator/render/render.ts";

const configMap = (data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "istio", namespace: "istio-system" },
  data,
});

const istiod: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "istiod", labels: { "app.kubernetes.io/component": "istiod" } },
  spec: { template: { metadata: { annotations: {} } } },
};

describe("remembered results", () => {
  it("computes once per object (and argument), again for a new one", () => {
    const f = vi.fn((o: { n: number }, by: number) => o.n * by);
    const g = rememberedBy(f);
    const a = { n: 2 };
    expect([g(a, 3), g(a, 3), g(a, 4), g({ n: 2 }, 3)]).toEqual([6, 6, 8, 6]);
    expect(f).toHaveBeenCalledTimes(3);
    const h = vi.fn((o: { n: number }) => ({ twice: o.n * 2 }));
    const once = remembered(h);
    expect(once(a)).toBe(once(a));
    expect(h).toHaveBeenCalledTimes(1);
  });

  it("post-render and the CA hash give the same objects back for the same inputs", () => {
    const rendered: RenderedObject[] = [{ object: configMap({ a: "1" }) } as RenderedObject];
    const first = postRender(rendered, "default", "managed");
    expect(postRender(rendered, "default", "managed")).toBe(first);
    expect(postRender(rendered, "other", "managed")).not.toBe(first);
    expect(postRender([...rendered], "default", "managed")).toEqual(first);
    const hashed = withCaHash(istiod, "h1");
    expect(withCaHash(istiod, "h1")).toBe(hashed);
    expect(withCaHash(istiod, "h2")).not.toEqual(hashed);
    expect(withCaHash(configMap({}), "h1").kind).toBe("ConfigMap");
  });
});

describe("the applier on a no-op", () => {
  function api() {
    const applied: KubeObject[] = [];
    return {
      applied,
      get: vi.fn(() => Promise.resolve(undefined)),
      apply: vi.fn((object: KubeObject) => {
        const fieldsV1 = {
          "f:data": Object.fromEntries(
            Object.keys(object.data as object).map((k) => [`f:${k}`, {}]),
          ),
        };
        const live = {
          ...object,
          metadata: {
            ...object.metadata,
            managedFields: [{ manager: FIELD_MANAGER, operation: "Apply", fieldsV1 }],
          },
        };
        applied.push(live);
        return Promise.resolve(live);
      }),
    };
  }

  it("skips what it applied, on the cache's shallow copies of the live object, and sees changes", async () => {
    const server = api();
    const applier = new ObjectApplier(server as never);
    const desired = configMap({ a: "1" });
    const first = await applier.ensure(desired, undefined);
    expect(first.wrote).toBe(true);
    // The cache hands out a new shallow copy on every get: same metadata, same field set.
    for (let i = 0; i < 3; i += 1) {
      const again = await applier.ensure(desired, { ...first.live });
      expect(again.wrote).toBe(false);
    }
    expect(server.get).not.toHaveBeenCalled();
    const changed = await applier.ensure(configMap({ a: "2" }), { ...first.live });
    expect(changed).toMatchObject({ wrote: true, why: "desired content changed" });
    expect(server.apply).toHaveBeenCalledTimes(2);
  });
});

describe("the Gateway API gate", () => {
  const spec = validateSpec({ version: "1.31.1" });
  if (!spec.ok) throw new Error("the spec must be valid");
  const rendered = {
    kind: "rendered" as const,
    objects: [] as RenderedObject[],
    version: "1.31.1",
    spec: spec.spec,
  };
  const crd: KubeObject = {
    ...GATEWAY_CRD,
    metadata: { ...GATEWAY_CRD.metadata, annotations: { [BUNDLE_VERSION]: "v1.6.0" } },
  };
  const source = (cached: KubeObject | undefined, live: KubeObject | undefined) => ({
    cache: { get: vi.fn(() => Promise.resolve(cached)) },
    server: { get: vi.fn(() => Promise.resolve(live)) },
  });

  it("reads our CRD from the cache, and only a CRD the cache lacks from the API server", async () => {
    const ours = source(crd, undefined);
    expect(await withGatewayApi(ours as never, spec.spec, rendered, "managed")).toBe(rendered);
    expect(ours.server.get).not.toHaveBeenCalled();
    const theirs = source(undefined, crd);
    expect(await withGatewayApi(theirs as never, spec.spec, rendered, "external")).toBe(rendered);
    expect(theirs.server.get).toHaveBeenCalledTimes(1);
    const none = source(undefined, undefined);
    const refused = await withGatewayApi(none as never, spec.spec, rendered, "external");
    expect(refused.kind).toBe("refused");
  });
});
