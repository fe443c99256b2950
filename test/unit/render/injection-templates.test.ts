/**
 * The injection templates are Go templates that istiod evaluates. tools/injection-check
 * runs them through Go's text/template with a sample pod, and the result must be the pod
 * changes we mean: valid YAML, the proxy image istiod chose, the pod's app name.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { resolve } from "../../../operator/render/effective-config.ts";
import { gatewayTemplate, sidecarTemplate } from "../../../operator/render/injection-templates.ts";

const CHECKER = fileURLToPath(new URL("../../../tools/injection-check/", import.meta.url));

function execute(templates: Record<string, string>): Record<string, any> {
  const stdout = execFileSync("go", ["run", "."], {
    cwd: CHECKER,
    input: JSON.stringify({ templates }),
    env: { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" },
    encoding: "utf8",
  });
  const rendered = JSON.parse(stdout) as Record<string, string>;
  return Object.fromEntries(Object.entries(rendered).map(([name, text]) => [name, parse(text)]));
}

function mesh(spec: unknown) {
  const result = validateSpec(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return resolve(result.spec);
}

describe("injection templates, executed as istiod executes them", () => {
  const out = execute({
    sidecar: sidecarTemplate(
      mesh({ version: "1.29.2", sidecarInjector: { proxy: { logLevel: "debug" } } }),
    ),
    gateway: gatewayTemplate(mesh({ version: "1.29.2", revision: "canary" })),
  });

  it("give a sidecar pod the proxy istiod chose, the iptables init container and the volumes", () => {
    const { metadata, spec } = out.sidecar;
    expect(metadata.labels).toMatchObject({
      "security.istio.io/tlsMode": "istio",
      "service.istio.io/canonical-name": "reviews",
      "service.istio.io/canonical-revision": "v1",
    });
    expect(metadata.annotations["kubectl.kubernetes.io/default-container"]).toBe("reviews");
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(["istio-init"]);
    const [proxy] = spec.containers;
    expect(proxy.name).toBe("istio-proxy");
    expect(proxy.image).toBe("docker.io/istio/proxyv2:1.29.2");
    expect(proxy.args).toContain("--proxyLogLevel=debug");
    const env = Object.fromEntries(proxy.env.map((e: any) => [e.name, e.value]));
    expect(JSON.parse(env.PROXY_CONFIG)).toEqual({
      discoveryAddress: "istiod.istio-system.svc:15012",
    });
    expect(env.ISTIO_META_WORKLOAD_NAME).toBe("reviews-v1");
    const mounted = proxy.volumeMounts.map((m: any) => m.name).sort();
    expect(spec.volumes.map((v: any) => v.name).sort()).toEqual(mounted);
  });

  it("give a gateway pod a router proxy, no init container, and the revision", () => {
    const { metadata, spec } = out.gateway;
    expect(metadata.annotations["istio.io/rev"]).toBe("canary");
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers[0].args.slice(0, 2)).toEqual(["proxy", "router"]);
    expect(spec.containers[0].env.find((e: any) => e.name === "CA_ADDR").value).toBe(
      "istiod-canary.istio-system.svc:15012",
    );
  });
});
