/**
 * What a kubelet would do for one container of a pod, done for a local process: resolve
 * its env (values, field and resource references, Secret and ConfigMap keys) and
 * materialise its volume mounts (Secrets, ConfigMaps, projected ServiceAccount tokens,
 * emptyDirs) below a work folder. Secret and ConfigMap volumes are written the kubelet's
 * way, a timestamped folder behind an atomically swapped `..data` link, so a process that
 * watches them (istiod watches cacerts) sees a whole new set at once, never half of one.
 */
import {
  existsSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { RestClient } from "../kube/rest-client.ts";

export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly ip: string;
  readonly nodeName: string;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; divisor?: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}

interface KeyToPath {
  key: string;
  path: string;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; optional?: boolean; items?: KeyToPath[] };
  configMap?: { name: string; optional?: boolean; items?: KeyToPath[] };
  emptyDir?: object;
  projected?: {
    sources: {
      serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
      configMap?: { name: string; optional?: boolean; items?: KeyToPath[] };
      secret?: { name: string; optional?: boolean; items?: KeyToPath[] };
    }[];
  };
}

type Files = Record<string, string | Buffer>;

/** CPU in whole units of the divisor, rounded up as the kubelet does; memory in bytes. */
export function resourceValue(quantity: string, divisor = "1"): string {
  const parse = (q: string): number => {
    const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
    if (!match) throw new Error(`unsupported quantity ${q}`);
    const scale: Record<string, number> = {
      m: 1e-3,
      k: 1e3,
      M: 1e6,
      G: 1e9,
      T: 1e12,
      Ki: 2 ** 10,
      Mi: 2 ** 20,
      Gi: 2 ** 30,
      Ti: 2 ** 40,
    };
    return Number(match[1]) * (match[2] ? (scale[match[2]] ?? 1) : 1);
  };
  return String(Math.max(1, Math.ceil(parse(quantity) / parse(divisor))));
}

function resourceReference(
  container: Container,
  ref: { resource: string; divisor?: string },
): string | undefined {
  const [kind, resource] = ref.resource.split(".") as [string, string];
  const quantity = container.resources?.[kind === "limits" ? "limits" : "requests"]?.[resource];
  // No limit: the kubelet reports the node's allocatable; a local process has the machine.
  return quantity ? resourceValue(quantity, ref.divisor) : undefined;
}

export class PodVolumes {
  private readonly client: RestClient;
  private readonly pod: PodIdentity;
  private readonly workDir: string;

  constructor(client: RestClient, pod: PodIdentity, workDir: string) {
    this.client = client;
    this.pod = pod;
    this.workDir = workDir;
  }

  private async get<T>(kind: "secrets" | "configmaps", name: string): Promise<T | undefined> {
    try {
      return await this.client.send<T>({
        method: "GET",
        path: `/api/v1/namespaces/${this.pod.namespace}/${kind}/${name}`,
      });
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  private async secretData(name: string): Promise<Files | undefined> {
    const secret = await this.get<{ data?: Record<string, string> }>("secrets", name);
    if (!secret) return undefined;
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64")]),
    );
  }

  private async configMapData(name: string): Promise<Files | undefined> {
    const map = await this.get<{ data?: Record<string, string> }>("configmaps", name);
    return map ? { ...map.data } : undefined;
  }

  /** A token for the pod's ServiceAccount from the TokenRequest API, as the kubelet asks for one. */
  async token(audience?: string, expirationSeconds = 3600): Promise<string> {
    const response = await this.client.send<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${this.pod.namespace}/serviceaccounts/${this.pod.serviceAccount}/token`,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { ...(audience ? { audiences: [audience] } : {}), expirationSeconds },
      },
    });
    return response.status.token;
  }

  async resolveEnv(container: Container): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const value = await this.envValue(container, variable);
      if (value !== undefined) env[variable.name] = value;
    }
    return env;
  }

  private async envValue(container: Container, variable: EnvVar): Promise<string | undefined> {
    const from = variable.valueFrom;
    if (!from) return variable.value ?? "";
    if (from.fieldRef) return this.field(from.fieldRef.fieldPath);
    if (from.resourceFieldRef) return resourceReference(container, from.resourceFieldRef);
    if (from.secretKeyRef) return this.keyReference(variable.name, from.secretKeyRef, "secret");
    if (from.configMapKeyRef)
      return this.keyReference(variable.name, from.configMapKeyRef, "configMap");
    throw new Error(`env ${variable.name}: unsupported valueFrom ${JSON.stringify(from)}`);
  }

  private async keyReference(
    variable: string,
    ref: { name: string; key: string; optional?: boolean },
    kind: "secret" | "configMap",
  ): Promise<string | undefined> {
    const data =
      kind === "secret" ? await this.secretData(ref.name) : await this.configMapData(ref.name);
    const value = data?.[ref.key];
    if (value === undefined && !ref.optional)
      throw new Error(`env ${variable}: ${kind} ${ref.name} has no key ${ref.key}`);
    return value?.toString();
  }

  private field(path: string): string {
    const fields: Record<string, string> = {
      "metadata.name": this.pod.name,
      "metadata.namespace": this.pod.namespace,
      "spec.serviceAccountName": this.pod.serviceAccount,
      "spec.nodeName": this.pod.nodeName,
      "status.podIP": this.pod.ip,
      "status.hostIP": this.pod.ip,
    };
    const value = fields[path];
    if (value === undefined) throw new Error(`unsupported fieldRef ${path}`);
    return value;
  }

  /** Writes every mount of the container below the work dir; returns what was skipped as optional. */
  async mount(container: Container, volumes: readonly Volume[]): Promise<string[]> {
    const skipped: string[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = volumes.find((v) => v.name === mount.name);
      if (!volume) throw new Error(`volumeMount ${mount.name} names no volume`);
      const files = await this.volumeFiles(volume);
      const dir = join(this.workDir, mount.mountPath);
      if (files === undefined) {
        skipped.push(volume.name);
        mkdirSync(dir, { recursive: true });
      } else writeAtomically(dir, files);
    }
    return skipped;
  }

  private async volumeFiles(volume: Volume): Promise<Files | undefined> {
    if (volume.secret) {
      const data = await this.secretData(volume.secret.secretName);
      return this.pick(
        `Secret ${volume.secret.secretName}`,
        data,
        volume.secret.items,
        volume.secret.optional,
      );
    }
    if (volume.configMap) {
      const data = await this.configMapData(volume.configMap.name);
      return this.pick(
        `ConfigMap ${volume.configMap.name}`,
        data,
        volume.configMap.items,
        volume.configMap.optional,
      );
    }
    if (volume.projected) return this.projected(volume.projected.sources);
    return {};
  }

  private pick(
    what: string,
    data: Files | undefined,
    items: KeyToPath[] | undefined,
    optional?: boolean,
  ) {
    if (!data) {
      if (optional) return undefined;
      throw new Error(`${what} does not exist and the volume is not optional`);
    }
    if (!items) return data;
    return Object.fromEntries(items.map((item) => [item.path, data[item.key] ?? ""]));
  }

  private async projected(sources: NonNullable<Volume["projected"]>["sources"]): Promise<Files> {
    const files: Files = {};
    for (const source of sources) {
      if (source.serviceAccountToken) {
        const { audience, expirationSeconds, path } = source.serviceAccountToken;
        files[path] = await this.token(audience, expirationSeconds);
      } else if (source.configMap) {
        const data = await this.configMapData(source.configMap.name);
        Object.assign(
          files,
          this.pick(
            `ConfigMap ${source.configMap.name}`,
            data,
            source.configMap.items,
            source.configMap.optional,
          ),
        );
      } else if (source.secret) {
        const data = await this.secretData(source.secret.name);
        Object.assign(
          files,
          this.pick(
            `Secret ${source.secret.name}`,
            data,
            source.secret.items,
            source.secret.optional,
          ),
        );
      }
    }
    return files;
  }
}

/** The kubelet's atomic writer: files in a fresh folder, then one rename of the `..data` link. */
export function writeAtomically(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(join(dir, stamp));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, stamp, name), content, { mode: 0o600 });
  const link = join(dir, "..data");
  const previous = existsSync(link) ? readlinkSync(link) : undefined;
  const next = join(dir, "..data_tmp");
  rmSync(next, { force: true });
  symlinkSync(stamp, next);
  renameSync(next, link);
  for (const name of Object.keys(files)) {
    const file = join(dir, name);
    if (!existsSync(file)) symlinkSync(join("..data", name), file);
  }
  if (previous) rmSync(join(dir, previous), { recursive: true, force: true });
}
