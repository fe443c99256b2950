/**
 * What the injection templates bake in, checked without istiod: every template a pod may
 * name is in the injector config, the spec's proxy settings are the fallbacks a pod's
 * annotations override, and no baked value opens a Go action. Executing them is the job of
 * real istiod in the Istio tier (test/istio/injection-parity.test.ts), against Istio's own.
 */
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { injectorContext } from "../../../operator/render/contexts.ts";
import { resolve } from "../../../operator/render/effective-config.ts";
import { injectionTemplates } from "../../../operator/render/injection-templates.ts";
import { injectorValues } from "../../../operator/render/injector-values.ts";

function mesh(spec: Record<string, unknown>) {
  const result = validateSpec({ version: "1.31.1", ...spec });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return resolve(result.spec);
}

/** Every `{{` is closed before the next one opens (a stray `{{` in a baked value would not be). */
function actionsBalance(template: string): boolean {
  let at = template.indexOf("{{");
  while (at !== -1) {
    const close = template.indexOf("}}", at + 2);
    const next = template.indexOf("{{", at + 2);
    if (close === -1 || (next !== -1 && next < close)) return false;
    at = next;
  }
  return true;
}

describe("injection templates", () => {
  it("ships sidecar, gateway, grpc-agent, grpc-simple and kube-gateway, with sidecar the default", () => {
    const config = parse(injectorContext(mesh({})).injectorConfig) as {
      defaultTemplates: string[];
      templates: Record<string, string>;
    };
    expect(Object.keys(config.templates).sort()).toEqual([
      "gateway",
      "grpc-agent",
      "grpc-simple",
      "kube-gateway",
      "sidecar",
    ]);
    expect(config.defaultTemplates).toEqual(["sidecar"]);
  });

  it("bakes the spec's log level and resources in as what a pod's annotations override", () => {
    const templates = injectionTemplates(
      mesh({
        sidecarInjector: {
          proxy: {
            logLevel: "debug",
            resources: { requests: { cpu: "150m" }, limits: { memory: "300Mi" } },
          },
        },
      }),
    );
    const sidecar = templates.sidecar ?? "";
    expect(sidecar).toContain('(annotation .ObjectMeta "sidecar.istio.io/logLevel" "debug")');
    expect(sidecar).toContain('"cpu": "150m"');
    expect(sidecar).toContain('"memory": "300Mi"');
    expect(sidecar).not.toContain('"cpu": "100m"');
    // The annotations replace all of it when a pod sets any of them.
    expect(sidecar).toContain(
      '(isset .ObjectMeta.Annotations "sidecar.istio.io/proxyMemoryLimit")',
    );
  });

  it("holds the application only while the proxy is a regular container", () => {
    const on = injectionTemplates(mesh({})).sidecar ?? "";
    const off =
      injectionTemplates(
        mesh({ sidecarInjector: { proxy: { holdApplicationUntilProxyStarts: false } } }),
      ).sidecar ?? "";
    expect(on).toContain(
      "(or .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue true) (not $native)",
    );
    expect(off).toContain(
      "(or .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue false) (not $native)",
    );
  });

  it("names the revision's istiod as CA and, for grpc-simple, as the xDS server", () => {
    const templates = injectionTemplates(mesh({ revision: "canary", namespace: "mesh-system" }));
    expect(templates.sidecar).toContain(
      'name: CA_ADDR, value: "istiod-canary.mesh-system.svc:15012"',
    );
    expect(templates["grpc-simple"]).toContain("dns:///istiod-canary.${ISTIO_NAMESPACE}.svc:15010");
    expect(templates.sidecar).toContain('istio.io/rev: "canary"');
  });

  it("leaves redirection to the CNI agent where it runs: istio-validation, no NET_ADMIN", () => {
    for (const mode of ["sidecar", "ambient", "both"] as const) {
      const effective = mesh({ dataPlane: { mode } });
      const sidecar = injectionTemplates(effective).sidecar ?? "";
      const init = sidecar.slice(
        sidecar.indexOf("  initContainers:"),
        sidecar.indexOf("- name: istio-proxy"),
      );
      const cni = mode !== "sidecar";
      expect(injectorValues(effective).pilot.cni.enabled, mode).toBe(cni);
      expect(init.includes("- name: istio-validation"), mode).toBe(cni);
      expect(init.includes("- name: istio-init"), mode).toBe(!cni);
      expect(init.includes('"add": ["NET_ADMIN", "NET_RAW"]'), mode).toBe(!cni);
      expect(/- --run-validation\n\s+- --skip-rule-apply\n/.test(init), mode).toBe(cni);
      // The CNI plugin reads the pod's interception settings from its annotations.
      expect(sidecar.includes("sidecar.istio.io/interceptionMode: {{"), mode).toBe(cni);
      expect(sidecar.includes("traffic.sidecar.istio.io/excludeInboundPorts: {{"), mode).toBe(cni);
    }
    const validation = injectionTemplates(mesh({ dataPlane: { mode: "both" } })).sidecar ?? "";
    expect(validation).toContain(
      '"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true, runAsGroup: {{ if $tproxy }}1337{{ else }}{{ .ProxyGID | default "1337" }}{{ end }}, runAsUser: {{ if $tproxy }}1337{{ else }}{{ .ProxyUID | default "1337" }}{{ end }}, runAsNonRoot: true }',
    );
  });

  it("keeps every Go action balanced for every template", () => {
    for (const dataPlane of [{ mode: "sidecar" }, { mode: "both" }]) {
      for (const [name, template] of Object.entries(
        injectionTemplates(mesh({ revision: "canary", dataPlane })),
      )) {
        expect(actionsBalance(template), name).toBe(true);
      }
    }
  });
});
