/**
 * Injection parity with upstream Istio, as a suite each data plane runs. Two real istiods
 * run against the local API server: ours, serving the injector ConfigMap the operator
 * applied for the spec, and a reference that serves Istio's own templates, values and mesh
 * config, generated now by `istioctl manifest generate` from the same Istio module for the
 * same settings (upstream-reference.ts; file-based injection config, its own namespace and
 * revision, the mesh's CA so both agree on the root). Every corpus pod is
 * stored-as-defaulted by a dry-run create, sent to both /inject endpoints, patched, and
 * dry-run created again; the two results must be equal after the normalisations in
 * injection-diff.ts, except the accepted differences (listed in docs/render.md too).
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject as provided, it } from "vitest";
import { validateSpec } from "../../operator/api/validate.ts";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { IstiodProcess } from "../../operator/local/istiod-process.ts";
import { adminConfig } from "../integration/cluster-client.ts";
import { INJECTION_CORPUS } from "../fixtures/injection-corpus.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { inject, type InjectionOutcome, type Pod } from "./admission.ts";
import { corpusPod } from "./corpus-pods.ts";
import { diff, normalisePod, type Difference } from "./injection-diff.ts";
import { caSecret, convergeMesh, startIstiod, type RealMesh } from "./real-istio.ts";
import { generateUpstreamInjection, writeReferenceFiles } from "./upstream-reference.ts";

export interface Accepted {
  case: string;
  path: string;
  reason: string;
}

export interface ParitySuite {
  title: string;
  /** Spec fields over the tier's mesh (test/fixtures/test-mesh.ts). */
  spec?: Record<string, unknown>;
  /**
   * Differences kept on purpose beyond COMMON_ACCEPTED; an unlisted one fails, and so does a
   * listed one that no longer occurs.
   */
  accepted?: Accepted[];
  /** Namespaces of the corpus pods and of the reference istiod, and its revision. */
  podNamespace: string;
  referenceNamespace: string;
  referenceRevision: string;
}

/** Differences every suite keeps, each with its reason (docs/render.md lists the same). */
export const COMMON_ACCEPTED: Accepted[] = [
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

export interface CaseResult {
  name: string;
  ours: InjectionOutcome;
  upstream: InjectionOutcome;
  differences: Difference[];
}

export async function dryRunCreate(core: CoreV1Api, pod: Pod): Promise<Pod> {
  const body = structuredClone(pod);
  for (const key of ["uid", "resourceVersion", "creationTimestamp", "managedFields"]) {
    Reflect.deleteProperty(body.metadata, key);
  }
  return core.createNamespacedPod({ namespace: pod.metadata.namespace, body, dryRun: "All" });
}

export async function ensureNamespace(
  core: CoreV1Api,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name, labels } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/** Both istiods: ours with exactly what the operator applied, the reference with Istio's files. */
async function startIstiods(real: RealMesh, spec: MeshConfigSpec, suite: ParitySuite) {
  const ours = await startIstiod(real, "istiod-ours");
  const cacerts = await caSecret(real.admin);
  const upstream = await generateUpstreamInjection(provided("istio").istioctl, spec);
  const workDir = mkdtempSync(join(real.workDir, "istiod-reference-"));
  await writeReferenceFiles(workDir, upstream, cacerts);
  // Our istiod's own settings (args and env), so only templates, values and mesh differ.
  const deployment = await adminConfig()
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: "istiod", namespace: spec.namespace });
  const container = deployment.spec?.template.spec?.containers[0];
  const reference = await IstiodProcess.start({
    binary: provided("istio").pilotDiscovery,
    workDir,
    // An administrator: the reference is Istio's, not ours, so our RBAC is not its test.
    kubeconfig: provided("cluster").kubeconfig,
    args: container?.args ?? ["discovery"],
    env: {
      ...ours.env,
      REVISION: suite.referenceRevision,
      POD_NAME: "istiod-reference",
      POD_NAMESPACE: suite.referenceNamespace,
    },
    name: "istiod (upstream reference)",
  });
  return { ours, reference, rootCert: cacerts["root-cert.pem"] ?? "", args: upstream.args };
}

function summary(results: CaseResult[], args: string[] | undefined, started: number): string {
  const patched = results.filter((r) => r.ours.kind === "patched").length;
  const refused = results.filter((r) => r.ours.kind === "refused" || r.upstream.kind === "refused");
  const differing = results.filter((r) => r.differences.length > 0);
  return [
    `[parity] ${results.length} pods, ${patched} injected, ${refused.length} refused, ` +
      `${differing.length} with differences (${differing.reduce((n, r) => n + r.differences.length, 0)} paths); ` +
      `tier time ${((Date.now() - started) / 1000).toFixed(1)}s`,
    `[parity] reference: istioctl ${args?.join(" ") ?? "(not run)"}`,
    ...differing.flatMap((r) => r.differences.map((d) => `[parity] ${r.name}: ${d.path}`)),
  ].join("\n");
}

/**
 * Declares the suite's describe block; the returned results fill in as its cases run, for
 * checks a file adds after it.
 */
export function describeInjectionParity(suite: ParitySuite): { results: CaseResult[] } {
  const results: CaseResult[] = [];
  describe(suite.title, () => {
    let real: RealMesh;
    let core: CoreV1Api;
    let spec: MeshConfigSpec;
    let istiods: Awaited<ReturnType<typeof startIstiods>>;
    const started = Date.now();

    beforeAll(async () => {
      real = await convergeMesh(suite.spec);
      const config: KubeConfig = adminConfig();
      core = config.makeApiClient(CoreV1Api);
      const parsed = validateSpec(mesh(suite.spec).spec);
      if (!parsed.ok)
        throw new Error(`the suite's MeshConfig is invalid: ${JSON.stringify(parsed.problems)}`);
      spec = parsed.spec;
      await ensureNamespace(core, suite.podNamespace);
      await ensureNamespace(core, suite.referenceNamespace);
      istiods = await startIstiods(real, spec, suite);
    }, 600_000);

    afterAll(async () => {
      // Each may be unset when beforeAll failed part-way.
      const both = istiods as typeof istiods | undefined;
      await Promise.all([both?.ours.stop(), both?.reference.stop()]);
      await (real as RealMesh | undefined)?.stop();
      console.error(summary(results, both?.args, started));
    });

    for (const entry of INJECTION_CORPUS) {
      it(`${entry.name}: ${entry.covers}`, async () => {
        const original = await dryRunCreate(core, corpusPod(entry, suite.podNamespace));
        const [mine, theirs] = await Promise.all([
          inject(istiods.ours.istiod.injectUrl, istiods.rootCert, original),
          inject(istiods.reference.injectUrl, istiods.rootCert, original),
        ]);
        const result: CaseResult = {
          name: entry.name,
          ours: mine,
          upstream: theirs,
          differences: [],
        };
        results.push(result);
        expect(mine.kind, `our istiod: ${mine.kind === "refused" ? mine.message : ""}`).not.toBe(
          "refused",
        );
        expect(
          theirs.kind,
          `upstream: ${theirs.kind === "refused" ? theirs.message : ""}`,
        ).not.toBe("refused");
        expect(mine.kind).toBe(entry.notInjected ? "unchanged" : "patched");
        expect(theirs.kind).toBe(mine.kind);
        if (mine.kind === "refused" || theirs.kind === "refused") return;

        const [storedOurs, storedTheirs] = await Promise.all([
          dryRunCreate(core, mine.pod),
          dryRunCreate(core, theirs.pod),
        ]);
        const revision = { from: suite.referenceRevision, to: spec.revision || "default" };
        result.differences = diff(
          normalisePod(storedOurs, revision),
          normalisePod(storedTheirs, revision),
          "",
        );
        const accepted = [...COMMON_ACCEPTED, ...(suite.accepted ?? [])]
          .filter((a) => a.case === entry.name)
          .map((a) => a.path);
        expect(result.differences.map((d) => d.path).sort()).toEqual(accepted.sort());
      });
    }
  });
  return { results };
}
