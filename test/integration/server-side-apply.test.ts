/**
 * The apply adapter against the real API server: server-side apply as `meshkeeper`, plain
 * JSON that keeps every field (even in CRD schemas), no-op re-applies, conflicts with
 * other managers reported rather than overridden, dry runs, deletes, discovery errors.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { ApiError, RestClient } from "../../operator/kube/rest-client.ts";
import {
  FIELD_MANAGER,
  ServerSideApply,
  type ApplyTarget,
} from "../../operator/kube/server-side-apply.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";

const client = new RestClient(adminConfig());
const ssa = new ServerSideApply(client, new Discovery(client));
const namespace = uniqueName("ssa");

afterAll(async () => {
  await ssa.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  client.close();
});

function configMap(data: Record<string, string>): ApplyTarget {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace }, data };
}

describe("server-side apply", () => {
  it("creates and owns objects as meshkeeper, and a repeated apply changes nothing", async () => {
    await ssa.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    const created = await ssa.apply<any>(configMap({ mode: "a" }));
    const managers = (
      created.metadata.managedFields as { manager: string; operation: string }[]
    ).map((f) => [f.manager, f.operation]);
    expect(managers).toEqual([[FIELD_MANAGER, "Apply"]]);
    const again = await ssa.apply<any>(configMap({ mode: "a" }));
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it("reports a field another manager owns as a conflict, and takes it only when forced", async () => {
    await client.send({
      method: "PATCH",
      path: `/api/v1/namespaces/${namespace}/configmaps/settings`,
      contentType: "application/apply-patch+yaml",
      body: configMap({ mode: "theirs" }),
      query: { fieldManager: "someone-else", force: "true" },
    });
    const conflict: unknown = await ssa.apply(configMap({ mode: "ours" })).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ApiError);
    expect((conflict as ApiError).status).toBe(409);
    expect((conflict as ApiError).message).toContain('conflict with "someone-else"');
    const forced = await ssa.apply<any>(configMap({ mode: "ours" }), { force: true });
    expect(forced.data).toEqual({ mode: "ours" });
  });

  it("sends objects as plain JSON, so CRD schemas keep defaults and x-kubernetes keys", async () => {
    const plural = `gadgets${Date.now().toString(36)}`;
    const crd: ApplyTarget = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${plural}.test.meshkeeper.dev` },
      spec: {
        group: "test.meshkeeper.dev",
        scope: "Namespaced",
        names: { plural, singular: plural.slice(0, -1), kind: "Gadget", listKind: "GadgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: {
                  spec: {
                    type: "object",
                    properties: {
                      size: { type: "integer", default: 3 },
                      extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                      port: {
                        "x-kubernetes-int-or-string": true,
                        anyOf: [{ type: "integer" }, { type: "string" }],
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const stored = await ssa.apply<any>(crd);
    const spec = stored.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    expect(spec.size.default).toBe(3);
    expect(spec.extra["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    expect(spec.port["x-kubernetes-int-or-string"]).toBe(true);
    expect(await ssa.delete(crd)).toBe(true);
  });

  it("dry runs without storing, and deletes once", async () => {
    const probe: ApplyTarget = { ...configMap({}), metadata: { name: "dry", namespace } };
    await ssa.apply(probe, { dryRun: true });
    expect(await ssa.get(probe)).toBeUndefined();
    await ssa.apply(probe);
    expect(await ssa.get(probe)).toBeDefined();
    expect(await ssa.delete(probe)).toBe(true);
    expect(await ssa.delete(probe)).toBe(false);
  });

  it("says what is wrong with objects it cannot place", async () => {
    await expect(
      ssa.apply({ apiVersion: "v1", kind: "Gizmo", metadata: { name: "x" } }),
    ).rejects.toThrow("the API server does not serve Gizmo in v1");
    await expect(
      ssa.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
    ).rejects.toThrow("ConfigMap x is namespaced but has no namespace");
  });

  it("counts its requests by verb", () => {
    expect(client.requests.get("PATCH")).toBeGreaterThan(3);
  });
});
