/**
 * Inventory parity with Istio's ambient profile (issue 15 item 4): the objects
 * `istioctl manifest generate --set profile=ambient` makes, from the same Istio module as
 * the tier's istiod, against what Meshkeeper renders for `dataPlane.mode: ambient`, object
 * for object; then the node agents field by field. Every difference is listed here with
 * its reason (and in docs/ambient.md); anything else fails.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import { render } from "../../operator/render/render.ts";
import { upstreamSetFlags } from "./upstream-reference.ts";

const run = promisify(execFile);
type Json = Record<string, any>;

let spec: MeshConfigSpec;
let upstream: Json[];
let ours: Json[];

const key = (o: Json) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const withoutCrds = (objects: Json[]) =>
  objects.filter((o) => o.kind !== "CustomResourceDefinition");

beforeAll(async () => {
  const parsed = validateSpec({ version: "1.31.1", dataPlane: { mode: "ambient" } });
  if (!parsed.ok) throw new Error("the ambient spec is invalid");
  spec = parsed.spec;
  // The ambient profile with the images Meshkeeper runs: same hub and tag, no variant.
  const args = [
    "manifest",
    "generate",
    "--set",
    "profile=ambient",
    ...upstreamSetFlags(spec),
    "--set",
    "values.global.variant=",
  ];
  const { stdout } = await run(inject("istio").istioctl, args, { maxBuffer: 64 << 20 });
  upstream = withoutCrds(
    parseAllDocuments(stdout)
      .map((d) => d.toJS() as Json | null)
      .filter((o): o is Json => o !== null),
  );
  ours = withoutCrds(render(spec).map((r) => r.object as Json));
}, 120_000);

function one(objects: Json[], id: string): Json {
  const found = objects.find((o) => key(o) === id);
  if (!found) throw new Error(`${id} missing`);
  return found;
}

describe("the ambient inventory against istioctl's ambient profile", () => {
  it("has the same objects but for the listed differences", () => {
    const theirs = upstream.map(key);
    const mine = ours.map(key);
    expect({
      onlyUpstream: theirs.filter((k) => !mine.includes(k)).sort(),
      onlyOurs: mine.filter((k) => !theirs.includes(k)).sort(),
    }).toEqual({
      // Helm's debug copy of the values; its own annotation says editing it does nothing.
      onlyUpstream: ["ConfigMap/istio-system/values"],
      onlyOurs: [
        // The operator creates and labels the control-plane namespace.
        "Namespace//istio-system",
        // spec.security.mtls (STRICT by default): the mesh-wide PeerAuthentication.
        "PeerAuthentication/istio-system/default",
        // Istio's base chart's default-revision validator, which istioctl leaves to `istioctl tag`.
        "ValidatingWebhookConfiguration//istiod-default-validator",
      ],
    });
  });

  const POD_FIELDS = [
    "serviceAccountName",
    "nodeSelector",
    "tolerations",
    "priorityClassName",
    "terminationGracePeriodSeconds",
    "volumes",
  ];
  const CONTAINER_FIELDS = [
    "name",
    "image",
    "command",
    "ports",
    "readinessProbe",
    "resources",
    "envFrom",
    "env",
    "volumeMounts",
  ];

  for (const daemonSet of ["ztunnel", "istio-cni-node"]) {
    it(`renders ${daemonSet} as upstream does, field by field`, () => {
      const mine = one(ours, `DaemonSet/istio-system/${daemonSet}`);
      const theirs = one(upstream, `DaemonSet/istio-system/${daemonSet}`);
      const pick = (o: Json, fields: string[]) =>
        JSON.parse(JSON.stringify(Object.fromEntries(fields.map((f) => [f, o[f]])))) as Json;
      expect(mine.spec.selector).toEqual(theirs.spec.selector);
      expect(mine.spec.updateStrategy).toEqual(theirs.spec.updateStrategy);
      expect(pick(mine.spec.template.spec, POD_FIELDS)).toEqual(
        pick(theirs.spec.template.spec, POD_FIELDS),
      );
      const [container] = mine.spec.template.spec.containers as Json[];
      const [upstreamContainer] = theirs.spec.template.spec.containers as Json[];
      expect(pick(container ?? {}, CONTAINER_FIELDS)).toEqual(
        pick(upstreamContainer ?? {}, CONTAINER_FIELDS),
      );
      // The privileges, exactly; the CNI agent's AppArmor profile is the one difference:
      // Istio still uses the annotation Kubernetes deprecated, we use the field.
      const { appArmorProfile, ...privileges } = container?.securityContext as Json;
      expect(privileges).toEqual(upstreamContainer?.securityContext);
      if (daemonSet === "istio-cni-node") {
        expect(appArmorProfile).toEqual({ type: "Unconfined" });
        expect(
          theirs.spec.template.metadata.annotations[
            "container.apparmor.security.beta.kubernetes.io/install-cni"
          ],
        ).toBe("unconfined");
      } else expect(appArmorProfile).toBeUndefined();
      // Pod labels: Istio's own (not Helm's) are all there.
      const helm = /^(app\.kubernetes\.io\/(instance|managed-by|part-of|version)|helm\.sh\/chart)$/;
      const theirLabels = Object.fromEntries(
        Object.entries(theirs.spec.template.metadata.labels as Record<string, string>).filter(
          ([k]) => !helm.test(k),
        ),
      );
      expect(mine.spec.template.metadata.labels).toEqual(theirLabels);
    });
  }

  it("configures the CNI agent as upstream does", () => {
    expect(one(ours, "ConfigMap/istio-system/istio-cni-config").data).toEqual(
      one(upstream, "ConfigMap/istio-system/istio-cni-config").data,
    );
  });

  it("grants the CNI agent exactly upstream's RBAC, and ztunnel none", () => {
    for (const role of ["istio-cni", "istio-cni-repair-role", "istio-cni-ambient"])
      expect(one(ours, `ClusterRole//${role}`).rules, role).toEqual(
        one(upstream, `ClusterRole//${role}`).rules,
      );
    for (const binding of ["istio-cni", "istio-cni-repair-rolebinding", "istio-cni-ambient"]) {
      const mine = one(ours, `ClusterRoleBinding//${binding}`);
      const theirs = one(upstream, `ClusterRoleBinding//${binding}`);
      expect([mine.roleRef, mine.subjects], binding).toEqual([theirs.roleRef, theirs.subjects]);
    }
    const boundToZtunnel = (objects: Json[]) =>
      objects.filter((o) => (o.subjects ?? []).some((s: Json) => s.name === "ztunnel")).length;
    expect(boundToZtunnel(ours)).toBe(0);
    expect(boundToZtunnel(upstream)).toBe(0);
  });

  it("turns istiod's ambient support on as upstream does", () => {
    const env = (o: Json) =>
      Object.fromEntries(
        (o.spec.template.spec.containers[0].env as Json[]).map((e) => [e.name, e.value]),
      );
    const mine = env(one(ours, "Deployment/istio-system/istiod"));
    const theirs = env(one(upstream, "Deployment/istio-system/istiod"));
    for (const name of ["PILOT_ENABLE_AMBIENT", "CA_TRUSTED_NODE_ACCOUNTS"])
      expect(mine[name], name).toBe(theirs[name]);
    const mesh = (o: Json) => parseAllDocuments(o.data.mesh as string)[0]?.toJS() as Json;
    expect(mesh(one(ours, "ConfigMap/istio-system/istio")).defaultConfig.proxyMetadata).toEqual(
      mesh(one(upstream, "ConfigMap/istio-system/istio")).defaultConfig.proxyMetadata,
    );
  });
});
