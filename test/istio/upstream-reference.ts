/**
 * Istio's own injection setup, generated at test time by `istioctl manifest generate`
 * from the same Istio module as the istiod under test, with the proxy settings a
 * MeshConfig asks for. Nothing of it is stored in this repository: the test writes it
 * into a reference istiod's working directory (file-based injection config).
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";

const run = promisify(execFile);

export interface UpstreamInjection {
  /** The injector ConfigMap's `config` (templates and policy) and `values` keys. */
  config: string;
  values: string;
  /** The mesh ConfigMap's `mesh` key. */
  mesh: string;
  /** The istioctl arguments that produced them (for failure messages and the docs). */
  args: string[];
}

/** `--set` flags for what the spec decides about injected proxies. */
export function upstreamSetFlags(spec: MeshConfigSpec): string[] {
  const proxy = spec.sidecarInjector.proxy;
  const sets: Record<string, string> = {
    "values.global.istioNamespace": spec.namespace,
    "values.global.hub": spec.hub,
    "values.global.tag": spec.version,
    "values.global.proxy.logLevel": proxy.logLevel,
    "values.global.proxy.holdApplicationUntilProxyStarts": String(
      proxy.holdApplicationUntilProxyStarts,
    ),
    // Meshkeeper puts the same choice in the mesh's defaultConfig (it reaches PROXY_CONFIG).
    "meshConfig.defaultConfig.holdApplicationUntilProxyStarts": String(
      proxy.holdApplicationUntilProxyStarts,
    ),
  };
  if (spec.revision) sets.revision = spec.revision;
  for (const [section, values] of Object.entries(proxy.resources ?? {})) {
    for (const [resource, quantity] of Object.entries(values ?? {})) {
      sets[`values.global.proxy.resources.${section}.${resource}`] = String(quantity);
    }
  }
  return Object.entries(sets).flatMap(([key, value]) => ["--set", `${key}=${value}`]);
}

function configMapData(manifest: string, name: string): Record<string, string> {
  for (const doc of parseAllDocuments(manifest)) {
    const object = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      data?: Record<string, string>;
    } | null;
    if (object?.kind === "ConfigMap" && object.metadata?.name === name && object.data) {
      return object.data;
    }
  }
  throw new Error(`istioctl manifest generate printed no ConfigMap ${name}`);
}

/**
 * The profile for the spec's data plane: with the CNI agent (ambient, both) Istio's ambient
 * profile, which turns components.cni and so values.pilot.cni on (sidecars get
 * istio-validation instead of istio-init), with Meshkeeper's images (no variant).
 */
export function upstreamProfileFlags(spec: MeshConfigSpec): string[] {
  return spec.dataPlane.mode === "sidecar"
    ? []
    : ["--set", "profile=ambient", "--set", "values.global.variant="];
}

export async function generateUpstreamInjection(
  istioctl: string,
  spec: MeshConfigSpec,
): Promise<UpstreamInjection> {
  const args = ["manifest", "generate", ...upstreamProfileFlags(spec), ...upstreamSetFlags(spec)];
  const { stdout } = await run(istioctl, args, { maxBuffer: 64 * 1024 * 1024 });
  const suffix = spec.revision ? `-${spec.revision}` : "";
  const injector = configMapData(stdout, `istio-sidecar-injector${suffix}`);
  const mesh = configMapData(stdout, `istio${suffix}`);
  if (!injector.config || !injector.values || !mesh.mesh) {
    throw new Error(
      "istioctl's injector ConfigMap lacks config or values, or its mesh ConfigMap lacks mesh",
    );
  }
  return { config: injector.config, values: injector.values, mesh: mesh.mesh, args };
}

/** Writes the files istiod reads by relative path from its working directory. */
export async function writeReferenceFiles(
  workDir: string,
  upstream: UpstreamInjection,
  cacerts: Record<string, string>,
): Promise<void> {
  const inject = join(workDir, "var/lib/istio/inject");
  const meshDir = join(workDir, "etc/istio/config");
  const caDir = join(workDir, "etc/cacerts");
  await Promise.all([inject, meshDir, caDir].map((d) => mkdir(d, { recursive: true })));
  await writeFile(join(inject, "config"), upstream.config);
  await writeFile(join(inject, "values"), upstream.values);
  await writeFile(join(meshDir, "mesh"), upstream.mesh);
  for (const [file, pem] of Object.entries(cacerts)) await writeFile(join(caDir, file), pem);
}
