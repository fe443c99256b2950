/**
 * In-place upgrades roll the gateways: their proxy image is filled in at admission
 * ("auto"), so the pod template records the proxy version and a version change changes
 * the template (and only the gateways' template, among the gateway objects).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { validateSpec } from "../../../operator/api/validate.ts";
import { render } from "../../../operator/render/render.ts";

const SAMPLE = new URL("../../../config/samples/production.yaml", import.meta.url);

function gatewayTemplates(version: string) {
  const document = parse(readFileSync(SAMPLE, "utf8")) as { spec: Record<string, unknown> };
  const validation = validateSpec({ ...document.spec, version });
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return render(validation.spec)
    .filter((r) => r.component === "gateway" && r.object.kind === "Deployment")
    .map((r) => {
      const spec = r.object["spec"] as {
        template: { metadata: { annotations: Record<string, string> } };
      };
      return spec.template.metadata.annotations;
    });
}

describe("gateway pod templates", () => {
  it("record the proxy version, so a patch or minor upgrade rolls every gateway", () => {
    const before = gatewayTemplates("1.30.5");
    const patch = gatewayTemplates("1.30.4");
    const minor = gatewayTemplates("1.31.1");
    expect(before.length).toBeGreaterThan(0);
    for (const annotations of before)
      expect(annotations["meshkeeper.dev/proxy-version"]).toBe("1.30.5");
    expect(patch.map((a) => a["meshkeeper.dev/proxy-version"])).toEqual(before.map(() => "1.30.4"));
    expect(minor.map((a) => a["meshkeeper.dev/proxy-version"])).toEqual(before.map(() => "1.31.1"));
  });
});
