/**
 * Rendering revisions (render/revisions.ts): a RevisionBased mesh with two revisions side
 * by side, golden (test/fixtures/golden/revisions/, UPDATE_GOLDEN=1 rewrites), and the
 * properties the golden file only shows: per-revision objects once each with their own
 * version, the tag and default validator on the tagged revision, gateways following the
 * tag, shared objects once, nothing the identity check refuses.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { MeshConfigSpecInput } from "../../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import { toYaml } from "../../../operator/cli/render.ts";
import { checkRenderedObjects } from "../../../operator/render/identity-check.ts";
import type { RenderedObject } from "../../../operator/render/render.ts";
import {
  activeRevision,
  renderMesh,
  VERSION_LABEL,
  type RevisionSet,
} from "../../../operator/render/revisions.ts";

const GOLDEN = new URL("../../fixtures/golden/revisions/", import.meta.url);

function spec(input: MeshConfigSpecInput) {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

const TWO = spec({
  version: "1.31.1",
  updateStrategy: { type: "RevisionBased", inactiveRevisionDeletionGracePeriodSeconds: 60 },
  gateways: [{ name: "istio-ingressgateway", namespace: "istio-ingress", type: "ingress" }],
});
const SET: RevisionSet = {
  revisions: [
    { name: "1-31-1", version: "1.31.1" },
    { name: "1-30-0", version: "1.30.0" },
  ],
  tag: "1-30-0",
};

const name = ({ object: o }: RenderedObject) =>
  `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const find = (objects: RenderedObject[], kind: string, n: string) =>
  objects.find((r) => r.object.kind === kind && r.object.metadata.name === n)?.object;
const services = (webhook: unknown) =>
  (webhook as { webhooks: { clientConfig: { service: { name: string } } }[] }).webhooks.map(
    (w) => w.clientConfig.service.name,
  );

describe("two revisions side by side", () => {
  const objects = renderMesh(TWO, SET, { name: "default", uid: "uid-1" });

  it("renders exactly as reviewed (UPDATE_GOLDEN=1 rewrites)", () => {
    const text = objects
      .map(({ object: o }) =>
        o.kind === "CustomResourceDefinition"
          ? `# ${o.kind} ${o.metadata.name}\n`
          : `---\n${toYaml(o)}`,
      )
      .join("");
    const golden = new URL("two-revisions.yaml", GOLDEN);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(golden, text);
    }
    expect(text).toBe(readFileSync(golden, "utf8"));
  });

  it("names every object once, and the identity check finds nothing to refuse", () => {
    const names = objects.map(name);
    expect(new Set(names).size).toBe(names.length);
    expect(checkRenderedObjects(TWO, objects)).toEqual([]);
  });

  it("each revision: istiod at its own version, its injector and validator, no default-only webhook", () => {
    for (const [rev, version] of [
      ["1-31-1", "1.31.1"],
      ["1-30-0", "1.30.0"],
    ] as const) {
      const istiod = find(objects, "Deployment", `istiod-${rev}`);
      expect(istiod?.metadata.labels?.[VERSION_LABEL]).toBe(version);
      const image = (istiod?.spec as { template: { spec: { containers: { image: string }[] } } })
        .template.spec.containers[0]?.image;
      expect(image).toBe(`docker.io/istio/pilot:${version}`);
      const injector = find(
        objects,
        "MutatingWebhookConfiguration",
        `istio-sidecar-injector-${rev}`,
      );
      expect(services(injector)).toEqual(["istiod-" + rev, "istiod-" + rev]);
      expect(
        find(objects, "ValidatingWebhookConfiguration", `istio-validator-${rev}-istio-system`),
      ).toBeDefined();
      expect(find(objects, "ConfigMap", `istio-sidecar-injector-${rev}`)).toBeDefined();
    }
    expect(
      objects.filter((r) => r.object.metadata.name === "istiod-default-validator"),
    ).toHaveLength(1);
  });

  it("the tag, the default validator and the gateway follow the tagged revision", () => {
    const tag = find(objects, "MutatingWebhookConfiguration", "istio-revision-tag-default");
    expect(tag?.metadata.labels).toMatchObject({
      "istio.io/tag": "default",
      "istio.io/rev": "1-30-0",
    });
    expect(services(tag)).toEqual(Array(4).fill("istiod-1-30-0"));
    expect(
      services(find(objects, "ValidatingWebhookConfiguration", "istiod-default-validator")),
    ).toEqual(["istiod-1-30-0"]);
    const gateway = find(objects, "Deployment", "istio-ingressgateway");
    expect(
      (gateway?.spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels["istio.io/rev"],
    ).toBe("1-30-0");
  });

  it("shared objects once, from the revision of spec.version; policies name no revision", () => {
    expect(objects.filter((r) => r.object.kind === "Namespace").map(name)).toEqual([
      "Namespace//istio-system",
      "Namespace//istio-ingress",
    ]);
    const policies = objects.filter((r) => r.component === "policies");
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) expect(p.object.metadata.labels?.["istio.io/rev"]).toBeUndefined();
  });
});

describe("revision names and offline renders", () => {
  it("RevisionBased: the version with dashes, after spec.revision when set", () => {
    expect(activeRevision(TWO)).toEqual({ name: "1-31-1", version: "1.31.1" });
    expect(
      activeRevision(
        spec({ version: "1.30.2", revision: "canary", updateStrategy: { type: "RevisionBased" } }),
      ).name,
    ).toBe("canary-1-30-2");
    expect(activeRevision(spec({ version: "1.30.2" })).name).toBe("default");
  });

  it("without a revision set: the revision of spec.version, tagged", () => {
    const objects = renderMesh(TWO);
    expect(
      objects.filter((r) => r.object.kind === "Deployment" && r.component === "istiod").map(name),
    ).toEqual(["Deployment/istio-system/istiod-1-31-1"]);
    const tag = find(objects, "MutatingWebhookConfiguration", "istio-revision-tag-default");
    expect(tag?.metadata.labels?.["istio.io/rev"]).toBe("1-31-1");
  });

  it("outside istio-system the tag webhook's name carries the namespace, as Istio's does", () => {
    const objects = renderMesh(
      spec({ version: "1.31.1", namespace: "mesh", updateStrategy: { type: "RevisionBased" } }),
    );
    expect(
      find(objects, "MutatingWebhookConfiguration", "istio-revision-tag-default-mesh"),
    ).toBeDefined();
  });

  it("without namespace injection the tag answers only pods that ask", () => {
    const objects = renderMesh(
      spec({
        version: "1.31.1",
        sidecarInjector: { enabled: false },
        updateStrategy: { type: "RevisionBased" },
      }),
    );
    const tag = find(
      objects,
      "MutatingWebhookConfiguration",
      "istio-revision-tag-default",
    ) as unknown as {
      webhooks: { name: string }[];
    };
    expect(tag.webhooks.map((w) => w.name)).toEqual([
      "rev.object.sidecar-injector.istio.io",
      "object.sidecar-injector.istio.io",
    ]);
  });

  it("InPlace renders as before, the istiod Deployment labelled with its version", () => {
    const objects = renderMesh(spec({ version: "1.30.2" }));
    expect(find(objects, "Deployment", "istiod")?.metadata.labels?.[VERSION_LABEL]).toBe("1.30.2");
    expect(
      find(objects, "MutatingWebhookConfiguration", "istio-revision-tag-default"),
    ).toBeUndefined();
  });
});
