/**
 * Injection parity with upstream Istio. Two real istiods run against the local API
 * server: ours, serving the injector ConfigMap the operator applied, and a reference that
 * serves Istio's own templates, values and mesh config, generated now by `istioctl
 * manifest generate` from the same Istio module (file-based injection config, its own
 * namespace and revision, the mesh's CA so both agree on the root). Every corpus pod is
 * stored-as-defaulted by a dry-run create, sent to both /inject endpoints, patched, and
 * dry-run created again; the two results must be equal after the normalisations in
 * injection-diff.ts, except the differences listed below (and in docs/render.md).
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject as provided, it } from "vitest";
import { validateSpec } from "../../operator/api/validate.ts";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { IstiodProcess } from "../../operator/local/istiod-process.ts";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { adminConfig } from "../integration/cluster-client.ts";
import { INJECTION_CORPUS } from "../fixtures/injection-corpus.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { inject, type InjectionOutcome, type Pod } from "./admission.ts";
import { corpusPod } from "./corpus-pods.ts";
import { diff, normalisePod, type Difference } from "./injection-diff.ts";
import { caSecret, convergeMesh, startIstiod, type RealMesh } from "./real-istio.ts";
import { generateUpstreamInjection, writeReferenceFiles } from "./upstream-reference.ts";

const POD_NAMESPACE = "injection-parity";
const REFERENCE_NAMESPACE = "istio-parity-reference";
const REFERENCE_REVISION = "parity-reference";

/**
 * Differences we keep on purpose, by case and path, each with its reason (docs/render.md
 * lists the same). A difference not listed fails the test, and so does a listed one that
 * no longer occurs.
 */
const ACCEPTED: { case: string; path: string; reason: string }[] = [
  {
    case: "grpc-simple",
    path: "spec.initContainers[grpc-bootstrap-init].env[ISTIO_NAMESPACE].value",
    reason:
      "Istio's value is a block scalar, so it ends in a newline that lands inside the bootstrap's server URI; ours has none",
  },
  {
    case: "grpc-simple",
    path: "spec.initContainers[grpc-bootstrap-init].command[2]",
    reason:
      "our own script (a here-document) writes the same bootstrap fields; its text is not Istio's, and it names the revision's istiod Service",
  },
];

interface CaseResult {
  name: string;
  ours: InjectionOutcome;
  upstream: InjectionOutcome;
  differences: Difference[];
  dryRunErrors: string[];
}

async function dryRunCreate(core: CoreV1Api, pod: Pod): Promise<Pod> {
  const body = structuredClone(pod);
  for (const key of ["uid", "resourceVersion", "creationTimestamp", "managedFields"]) {
    Reflect.deleteProperty(body.metadata, key);
  }
  return core.createNamespacedPod({ namespace: pod.metadata.namespace, body, dryRun: "All" });
}

async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

describe("injection parity with upstream Istio", () => {
  let real: RealMesh;
  let config: KubeConfig;
  let core: CoreV1Api;
  let spec: MeshConfigSpec;
  let ours: MeshIstiod;
  let reference: IstiodProcess;
  let rootCert: string;
  let istioctlArgs: string[];
  const results: CaseResult[] = [];
  const started = Date.now();

  beforeAll(async () => {
    real = await convergeMesh();
    config = adminConfig();
    core = config.makeApiClient(CoreV1Api);
    const parsed = validateSpec(mesh().spec);
    if (!parsed.ok)
      throw new Error(`the tier's MeshConfig is invalid: ${JSON.stringify(parsed.problems)}`);
    spec = parsed.spec;
    await ensureNamespace(core, POD_NAMESPACE);
    await ensureNamespace(core, REFERENCE_NAMESPACE);

    ours = await startIstiod(real, "istiod-ours");
    const cacerts = await caSecret(real.admin);
    rootCert = cacerts["root-cert.pem"] ?? "";

    const upstream = await generateUpstreamInjection(provided("istio").istioctl, spec);
    istioctlArgs = upstream.args;
    const workDir = mkdtempSync(join(real.workDir, "istiod-reference-"));
    await writeReferenceFiles(workDir, upstream, cacerts);
    // Our istiod's own settings (args and env), so only templates, values and mesh differ.
    const deployment = await config
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: "istiod", namespace: spec.namespace });
    const container = deployment.spec?.template.spec?.containers[0];
    reference = await IstiodProcess.start({
      binary: provided("istio").pilotDiscovery,
      workDir,
      // An administrator: the reference is Istio's, not ours, so our RBAC is not its test.
      kubeconfig: provided("cluster").kubeconfig,
      args: container?.args ?? ["discovery"],
      env: {
        ...ours.env,
        REVISION: REFERENCE_REVISION,
        POD_NAME: "istiod-reference",
        POD_NAMESPACE: REFERENCE_NAMESPACE,
      },
      name: "istiod (upstream reference)",
    });
  }, 600_000);

  afterAll(async () => {
    // Each may be unset when beforeAll failed part-way.
    const istiods = [ours as MeshIstiod | undefined, reference as IstiodProcess | undefined];
    await Promise.all(istiods.map((p) => p?.stop() ?? Promise.resolve()));
    await (real as RealMesh | undefined)?.stop();
    const patched = results.filter((r) => r.ours.kind === "patched").length;
    const refused = results.filter(
      (r) => r.ours.kind === "refused" || r.upstream.kind === "refused",
    );
    const differing = results.filter((r) => r.differences.length > 0);
    console.error(
      [
        `[parity] ${results.length} pods, ${patched} injected, ${refused.length} refused, ` +
          `${differing.length} with differences (${differing.reduce((n, r) => n + r.differences.length, 0)} paths); ` +
          `tier time ${((Date.now() - started) / 1000).toFixed(1)}s`,
        `[parity] reference: istioctl ${(istioctlArgs as string[] | undefined)?.join(" ") ?? "(not run)"}`,
        ...differing.flatMap((r) => r.differences.map((d) => `[parity] ${r.name}: ${d.path}`)),
      ].join("\n"),
    );
  });

  for (const entry of INJECTION_CORPUS) {
    it(`${entry.name}: ${entry.covers}`, async () => {
      const original = await dryRunCreate(core, corpusPod(entry, POD_NAMESPACE));
      const [mine, theirs] = await Promise.all([
        inject(ours.istiod.injectUrl, rootCert, original),
        inject(reference.injectUrl, rootCert, original),
      ]);
      const result: CaseResult = {
        name: entry.name,
        ours: mine,
        upstream: theirs,
        differences: [],
        dryRunErrors: [],
      };
      results.push(result);
      expect(mine.kind, `our istiod: ${mine.kind === "refused" ? mine.message : ""}`).not.toBe(
        "refused",
      );
      expect(theirs.kind, `upstream: ${theirs.kind === "refused" ? theirs.message : ""}`).not.toBe(
        "refused",
      );
      expect(mine.kind).toBe(entry.notInjected ? "unchanged" : "patched");
      expect(theirs.kind).toBe(mine.kind);
      if (mine.kind === "refused" || theirs.kind === "refused") return;

      const [storedOurs, storedTheirs] = await Promise.all([
        dryRunCreate(core, mine.pod),
        dryRunCreate(core, theirs.pod),
      ]);
      const revision = { from: REFERENCE_REVISION, to: spec.revision || "default" };
      result.differences = diff(
        normalisePod(storedOurs, revision),
        normalisePod(storedTheirs, revision),
        "",
      );
      const accepted = ACCEPTED.filter((a) => a.case === entry.name).map((a) => a.path);
      expect(result.differences.map((d) => d.path).sort()).toEqual(accepted.sort());
    });
  }
});
