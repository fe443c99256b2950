/**
 * Injection parity with upstream Istio where the istio-cni node agent runs
 * (spec.dataPlane.mode both, parity-suite.ts): the agent redirects the sidecars' traffic,
 * so our injector, like Istio's with values.pilot.cni.enabled (the ambient profile,
 * `istioctl manifest generate --set profile=ambient`), gives each pod an unprivileged
 * `istio-validation` init container instead of `istio-init` with NET_ADMIN and NET_RAW,
 * and the annotations the CNI plugin reads. Every corpus pod must come out as upstream's.
 * Then the Pod Security consequence, on the real API server: the injected pods are admitted
 * at the baseline level, but for the ones that ask for privileges themselves, as upstream's.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminConfig } from "../integration/cluster-client.ts";
import type { Pod } from "./admission.ts";
import { describeInjectionParity, dryRunCreate, ensureNamespace } from "./parity-suite.ts";

const BASELINE = "injection-cni-baseline";
const core = adminConfig().makeApiClient(CoreV1Api);

const { results } = describeInjectionParity({
  title: "injection parity with upstream Istio, CNI agent on (mode both)",
  spec: { dataPlane: { mode: "both" } },
  podNamespace: "injection-parity-cni",
  referenceNamespace: "istio-parity-reference-cni",
  referenceRevision: "parity-reference-cni",
});

/** The cases whose own annotations ask for privileges, and what baseline says of them. */
const EXPECTED_AT_BASELINE: Record<string, string[]> = {
  tproxy: [
    'non-default capabilities (container "istio-proxy" must not include "NET_ADMIN" in securityContext.capabilities.add)',
  ],
  "hbone-and-trace": [
    'non-default capabilities (container "istio-proxy" must not include "NET_ADMIN" in securityContext.capabilities.add)',
    'privileged (container "istio-proxy" must not set securityContext.privileged=true)',
  ],
};

/** The Pod Security violations the API server names for a pod in the baseline namespace. */
async function violations(pod: Pod): Promise<string[]> {
  const moved = structuredClone(pod);
  moved.metadata.namespace = BASELINE;
  try {
    await dryRunCreate(core, moved);
    return [];
  } catch (error) {
    const raw = (error as { body?: unknown }).body;
    const status = (typeof raw === "string" ? JSON.parse(raw) : raw) as { message?: string };
    const list = /violates PodSecurity "[a-z]+:[a-z0-9.]+": (.*)$/.exec(status.message ?? "")?.[1];
    if (!list) throw error;
    return list.split(/(?<=\)), /).map((v) => v.trim());
  }
}

describe("injected pods with the CNI agent, at the baseline Pod Security level", () => {
  beforeAll(async () => {
    await ensureNamespace(core, BASELINE, { "pod-security.kubernetes.io/enforce": "baseline" });
    await core
      .createNamespacedServiceAccount({
        namespace: BASELINE,
        body: { metadata: { name: "default" } },
      })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code !== 409) throw error;
      });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: BASELINE });
  });

  it("are admitted but where the pod asks for privileges, exactly as upstream's are", async () => {
    const injected = results.filter(
      (r) => r.ours.kind === "patched" && r.upstream.kind === "patched",
    );
    expect(injected.length).toBeGreaterThan(20);
    const ours: Record<string, string[]> = {};
    const theirs: Record<string, string[]> = {};
    let validated = 0;
    for (const result of injected) {
      if (result.ours.kind !== "patched" || result.upstream.kind !== "patched") continue;
      const [mine, upstream] = [
        await violations(result.ours.pod),
        await violations(result.upstream.pod),
      ];
      if (mine.length) ours[result.name] = mine;
      if (upstream.length) theirs[result.name] = upstream;
      // The redirection is the agent's: no pod keeps istio-init.
      const inits = (result.ours.pod.spec.initContainers ?? []) as { name: string }[];
      expect(inits.map((c) => c.name)).not.toContain("istio-init");
      if (inits.some((c) => c.name === "istio-validation")) validated += 1;
    }
    // Every sidecar with interception (all but the no-interception, gateway and gRPC cases).
    expect(validated).toBeGreaterThan(20);
    expect(ours).toEqual(EXPECTED_AT_BASELINE);
    expect(theirs).toEqual(EXPECTED_AT_BASELINE);
  });
});
