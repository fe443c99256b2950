import { renderInputs } from "../../fixtures/samples.ts";
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import type {
  MeshConfigSpec,
  MeshConfigSpecInput,
} from "../../../operator/api/mesh-config-spec.ts";
import { renderFile, toYaml } from "../../../operator/cli/render.ts";
import { lookupVersion, UnsupportedVersionError } from "../../../operator/render/istio-versions.ts";
import { COMPONENT_LABEL, MESH_LABEL, render } from "../../../operator/render/render.ts";

const GOLDEN = new URL("../../fixtures/golden/", import.meta.url);

function spec(input: MeshConfigSpecInput): MeshConfigSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

const identity = (objects: ReturnType<typeof render>) =>
  objects.map(({ object: o }) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);

describe("golden renders", () => {
  for (const { name: file, path } of renderInputs()) {
    it(`renders ${file} exactly as reviewed (UPDATE_GOLDEN=1 rewrites)`, () => {
      // The Istio CRDs are checked byte for byte against crds/ already; here they are named only.
      const text = renderFile(path)
        .map(({ object: o }) =>
          o.kind === "CustomResourceDefinition"
            ? `# ${o.kind} ${o.metadata.name}\n`
            : `---\n${toYaml(o)}`,
        )
        .join("");
      const golden = new URL(file, GOLDEN);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }
});

describe("render", () => {
  const productionInput: MeshConfigSpecInput = {
    version: "1.30.5",
    controlPlane: { autoscaling: { enabled: false }, replicas: 3 },
    gateways: [
      {
        name: "istio-ingressgateway",
        namespace: "istio-ingress",
        type: "ingress",
        autoscaling: { minReplicas: 8 },
      },
    ],
    security: { authorization: "DenyAll" },
  };
  const production = spec(productionInput);

  it("marks every object as ours, by component, with unique names", () => {
    const objects = render(production);
    for (const { component, object } of objects) {
      expect(object.metadata.labels).toMatchObject({
        "app.kubernetes.io/managed-by": "meshkeeper",
        [COMPONENT_LABEL]: component,
        [MESH_LABEL]: "default",
      });
    }
    expect(new Set(identity(objects)).size).toBe(objects.length);
  });

  it("makes the MeshConfig the owner of everything but CRDs and namespaces", () => {
    for (const { object } of render(production, { name: "default", uid: "1234" })) {
      const owners = object.metadata.ownerReferences;
      if (object.kind === "CustomResourceDefinition" || object.kind === "Namespace") {
        expect(owners).toBeUndefined();
      } else {
        expect(owners).toEqual([
          {
            apiVersion: "meshkeeper.dev/v1alpha1",
            kind: "MeshConfig",
            name: "default",
            uid: "1234",
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
      }
    }
  });

  it("leaves replicas to the autoscaler when autoscaling is on, and sets them when off", () => {
    const deployments = render(production).filter((o) => o.object.kind === "Deployment");
    const istiod = deployments.find((o) => o.object.metadata.name === "istiod")?.object.spec as {
      replicas?: number;
    };
    const gateway = deployments.find((o) => o.component === "gateway")?.object.spec as {
      replicas?: number;
    };
    expect(istiod.replicas).toBe(3);
    expect(gateway.replicas).toBeUndefined();
    const hpa = render(production).find((o) => o.object.kind === "HorizontalPodAutoscaler")?.object
      .spec;
    // A gateway minimum above the default maximum raises the maximum with it.
    expect(hpa).toMatchObject({ minReplicas: 8, maxReplicas: 8 });
  });

  it("suffixes names with the revision and labels with it", () => {
    const names = identity(render(spec({ version: "1.31.1", revision: "canary" })));
    expect(names).toContain("Deployment/istio-system/istiod-canary");
    expect(names).toContain("ConfigMap/istio-system/istio-canary");
    expect(names).toContain("ClusterRole//istiod-clusterrole-canary-istio-system");
    expect(names).toContain("MutatingWebhookConfiguration//istio-sidecar-injector-canary");
    expect(names).toContain("ValidatingWebhookConfiguration//istio-validator-canary-istio-system");
  });

  for (const revision of [undefined, "canary"]) {
    it(`points every selector at the pods it means (${revision ?? "default"} revision)`, () => {
      const objects = render(spec({ ...productionInput, ...(revision ? { revision } : {}) })).map(
        (o) => o.object,
      );
      const podLabels = objects
        .filter((o) => o.kind === "Deployment")
        .map((d) => (d.spec as any).template.metadata.labels as Record<string, string>);
      const matchesAPod = (selector: Record<string, string>) =>
        podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
      const selectors = objects.flatMap((o) => {
        const spec = o.spec as any;
        if (o.kind === "Service") return [spec.selector];
        if (o.kind === "PodDisruptionBudget" || o.kind === "AuthorizationPolicy")
          return spec.selector ? [spec.selector.matchLabels] : [];
        if (o.kind === "Deployment") return [spec.selector.matchLabels];
        return [];
      });
      expect(selectors.length).toBeGreaterThan(5);
      for (const selector of selectors)
        expect(matchesAPod(selector), JSON.stringify(selector)).toBe(true);
      for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
        const target = (hpa.spec as any).scaleTargetRef.name;
        expect(objects.some((o) => o.kind === "Deployment" && o.metadata.name === target)).toBe(
          true,
        );
      }
    });
  }

  it("names in Telemetry a tracing provider the mesh config defines, with a full host name", () => {
    const objects = render(
      spec({ version: "1.31.1", telemetry: { tracing: { address: "otel.observability:4317" } } }),
    );
    const meshConfigMap = objects.find(
      (o) => o.object.kind === "ConfigMap" && o.object.metadata.name === "istio",
    );
    const mesh = parse((meshConfigMap?.object.data as { mesh: string }).mesh);
    const telemetry = objects.find((o) => o.object.kind === "Telemetry")?.object.spec as any;
    const provider = telemetry.tracing[0].providers[0].name;
    expect(mesh.extensionProviders).toContainEqual({
      name: provider,
      opentelemetry: { service: "otel.observability.svc.cluster.local", port: 4317 },
    });
  });

  it("keeps the settings the rest relies on, whatever spec.meshConfig says", () => {
    const objects = render(
      spec({
        version: "1.31.1",
        meshConfig: {
          rootNamespace: "elsewhere",
          trustDomain: "x",
          defaultConfig: { discoveryAddress: "a:1", concurrency: 2 },
        },
      }),
    );
    const meshConfigMap = objects.find(
      (o) => o.object.kind === "ConfigMap" && o.object.metadata.name === "istio",
    );
    const mesh = parse((meshConfigMap?.object.data as { mesh: string }).mesh);
    expect(mesh).toMatchObject({
      rootNamespace: "istio-system",
      trustDomain: "cluster.local",
      defaultConfig: { discoveryAddress: "istiod.istio-system.svc:15012", concurrency: 2 },
    });
  });

  it("mounts the user's own CA Secret for type Secret, and never starts istiod without one", () => {
    const volumesOf = (input: MeshConfigSpecInput) => {
      const istiod = render(spec(input)).find((o) => o.object.kind === "Deployment")?.object
        .spec as any;
      return istiod.template.spec.volumes.find((v: any) => v.name === "cacerts").secret;
    };
    expect(volumesOf({ version: "1.31.1" })).toEqual({ secretName: "cacerts", optional: false });
    expect(
      volumesOf({
        version: "1.31.1",
        certificateAuthority: { type: "Secret", secret: { name: "my-ca" } },
      }),
    ).toEqual({
      secretName: "my-ca",
      optional: false,
    });
  });

  it("refuses a version it does not know, naming what it supports", () => {
    expect(() => render(spec({ version: "1.12.0" }))).toThrow(UnsupportedVersionError);
    expect(() => render(spec({ version: "1.30.99" }))).toThrow(/1\.29\.x, 1\.30\.x, 1\.31\.x/);
    expect(() => lookupVersion("1.30.05")).toThrow(UnsupportedVersionError);
  });

  it("renders the same objects whatever the strings a user writes", () => {
    const baseline = identity(render(production));
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string().filter((k) => k !== "__proto__"), // refused by validation
        (text, key) => {
          // The free-text fields; keys and label values follow Kubernetes' grammar and are
          // fuzzed within it in free-text.property.test.ts.
          const fuzzed = spec({
            version: "1.30.5",
            controlPlane: {
              autoscaling: { enabled: false },
              replicas: 3,
              affinity: { nodeAffinity: { note: text } },
            },
            meshConfig: { [key || "k"]: text, defaultConfig: { proxyMetadata: { X: text } } },
            gateways: [
              {
                name: "istio-ingressgateway",
                namespace: "istio-ingress",
                type: "ingress",
                autoscaling: { minReplicas: 8 },
                service: { annotations: { "example.com/note": text.slice(0, 4096) } },
              },
            ],
            security: { authorization: "DenyAll" },
          });
          expect(identity(render(fuzzed))).toEqual(baseline);
        },
      ),
      { numRuns: 100 },
    );
  }, 30_000);
});
