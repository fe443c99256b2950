/**
 * secure: the mesh CA (DESIGN.md step 5) before istiod is applied. SelfSigned: adopt a
 * valid `cacerts`, or create one, create-if-absent and never apply, root first, so a
 * restart, a crash between two writes or two replicas racing can never produce a second
 * root; renew the intermediate under the same root when it is due. Secret: validate the
 * user's Secret and never write it. Every answer carries the bundle's hash (istiod's pod
 * template carries it, so istiod rolls onto a new CA) and the expiry dates for status.
 * Key material never leaves this file: messages name keys and reasons, never contents.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import { CaReason, type CaFailureReason } from "../api/conditions.ts";
import { isConflict } from "../kube/errors.ts";
import type { ObjectWriter } from "../kube/interfaces.ts";
import type { KubeObject } from "../kube/object.ts";
import { parseDuration } from "../pki/duration.ts";
import { expiryStatus, renewalExtendsValidity } from "../pki/expiry.ts";
import { generateCa, renewIntermediate, type CaBundle } from "../pki/generate.ts";
import {
  CACERTS_SECRET_NAME,
  ROOT_CA_CERT,
  ROOT_CA_KEY,
  ROOT_CA_SECRET_NAME,
  ROOT_CERT,
  rootCaSecretData,
} from "../pki/secret-layout.ts";
import { validateCaSecret } from "../pki/validate-ca-secret.ts";
import { CaValidationCache } from "../pki/validation-cache.ts";
import { MANAGED_BY, MESH_LABEL } from "../render/render.ts";

export type CaState =
  | {
      readonly kind: "ready";
      readonly hash: string;
      readonly rootNotAfter: Date;
      readonly intermediateNotAfter: Date;
      readonly rootExpiringSoon: boolean;
      readonly writes: number;
      /** What was done, for the log and events: adopted, created, renewed, validated. */
      readonly action: string;
    }
  | {
      readonly kind: "failed";
      readonly reason: CaFailureReason;
      readonly message: string;
      readonly writes: number;
    };

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

const DEFAULTS = {
  organization: "cluster.local",
  rootValidity: "87600h",
  intermediateValidity: "8760h",
  keyAlgorithm: "ECDSA-P256",
  renewBefore: "720h",
} as const;

/** The generated CA's settings with defaults, durations in milliseconds (pure). */
export function caSettings(spec: MeshConfigSpec) {
  const selfSigned = { ...DEFAULTS, ...spec.certificateAuthority.selfSigned };
  return {
    organization: selfSigned.organization,
    rootValidityMs: parseDuration(selfSigned.rootValidity),
    intermediateValidityMs: parseDuration(selfSigned.intermediateValidity),
    keyAlgorithm: selfSigned.keyAlgorithm,
    renewBeforeMs: parseDuration(selfSigned.renewBefore),
  };
}

function secretObject(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    // Ours (labels) but not owned and not an ApplySet member: never pruned, never garbage
    // collected with the MeshConfig; deletionPolicy decides on delete.
    metadata: {
      name,
      namespace,
      labels: { ...MANAGED_BY, [MESH_LABEL]: "default", "app.kubernetes.io/component": "ca" },
    },
    type: "Opaque",
    stringData: data,
  };
}

const base64 = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));

function decoded(secret: Secret | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

export class CertificateAuthority {
  private readonly ssa: ObjectWriter;
  private readonly validations = new CaValidationCache();

  constructor(ssa: ObjectWriter) {
    this.ssa = ssa;
  }

  private async secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.ssa.get<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace },
    });
  }

  async ensure(spec: MeshConfigSpec, namespace: string, now: Date): Promise<CaState> {
    const ca = spec.certificateAuthority;
    if (ca.type === "Secret")
      return this.validateUsers(
        namespace,
        ca.secret?.name ?? "",
        now,
        caSettings(spec).renewBeforeMs,
      );
    return this.ensureSelfSigned(namespace, caSettings(spec), now);
  }

  private async validateUsers(
    namespace: string,
    name: string,
    now: Date,
    renewBeforeMs: number,
  ): Promise<CaState> {
    const secret = await this.secret(namespace, name);
    if (!secret)
      return {
        kind: "failed",
        reason: CaReason.SecretNotFound,
        message: `Secret ${namespace}/${name} does not exist: create it with ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem`,
        writes: 0,
      };
    const result = this.validations.validate(
      { namespace, name, resourceVersion: secret.metadata.resourceVersion },
      secret.data ?? {},
      now,
      renewBeforeMs,
    );
    if (!result.ok)
      return {
        kind: "failed",
        reason: result.reason,
        message: `Secret ${namespace}/${name}: ${result.message}`,
        writes: 0,
      };
    return {
      kind: "ready",
      ...result.summary,
      rootExpiringSoon: expiryStatus(result.summary, now, renewBeforeMs).rootExpiringSoon,
      writes: 0,
      action: "validated",
    };
  }

  private async ensureSelfSigned(
    namespace: string,
    settings: ReturnType<typeof caSettings>,
    now: Date,
  ): Promise<CaState> {
    const [cacerts, root] = await Promise.all([
      this.secret(namespace, CACERTS_SECRET_NAME),
      this.secret(namespace, ROOT_CA_SECRET_NAME),
    ]);
    if (!cacerts) return this.create(namespace, root, settings, now);
    // Renew only what we created: the root Secret must hold the very root in `cacerts`.
    const ours =
      root !== undefined &&
      decoded(root, ROOT_CA_CERT)?.trim() === decoded(cacerts, ROOT_CERT)?.trim();
    const current = this.validations.validate(
      { namespace, name: CACERTS_SECRET_NAME, resourceVersion: cacerts.metadata.resourceVersion },
      cacerts.data ?? {},
      now,
      0,
    );
    if (!current.ok) {
      // Our own intermediate ran out (the operator was not running when it was due): the
      // root is ours, so issue a new one under it; renewIntermediate refuses an expired root.
      if (current.reason === "Expired" && ours)
        return this.renew(namespace, cacerts, root, settings, now);
      return {
        kind: "failed",
        reason: current.reason,
        message: `Secret ${namespace}/${CACERTS_SECRET_NAME} exists but is not a usable CA (${current.message}); the operator never overwrites a CA, fix or delete it`,
        writes: 0,
      };
    }
    const expiry = expiryStatus(current.summary, now, settings.renewBeforeMs);
    const due =
      expiry.intermediateDueForRenewal &&
      renewalExtendsValidity(current.summary, now, settings.intermediateValidityMs);
    if (!due || !ours)
      return {
        kind: "ready",
        ...current.summary,
        rootExpiringSoon: expiry.rootExpiringSoon,
        writes: 0,
        action: "adopted",
      };
    return this.renew(namespace, cacerts, root, settings, now);
  }

  /** A new intermediate under our root, replacing `cacerts` only if nobody changed it. */
  private async renew(
    namespace: string,
    cacerts: Secret,
    root: Secret,
    settings: ReturnType<typeof caSettings>,
    now: Date,
  ): Promise<CaState> {
    const bundle = await this.issueUnder(root, settings, now);
    if ("kind" in bundle) return bundle;
    await this.ssa.replace({
      ...secretObject(namespace, CACERTS_SECRET_NAME, bundle.cacerts),
      metadata: {
        ...secretObject(namespace, CACERTS_SECRET_NAME, {}).metadata,
        resourceVersion: cacerts.metadata.resourceVersion ?? "",
      },
    });
    return this.readyFrom(
      bundle,
      now,
      settings.renewBeforeMs,
      1,
      "renewed the intermediate under the same root",
    );
  }

  /**
   * A new intermediate under our root, or why there cannot be one (an expired or damaged
   * root): never a new root, which would be a new mesh identity.
   */
  private async issueUnder(
    root: Secret,
    settings: ReturnType<typeof caSettings>,
    now: Date,
  ): Promise<CaBundle | Extract<CaState, { kind: "failed" }>> {
    try {
      return await renewIntermediate(this.rootOf(root), { ...settings, now });
    } catch (error) {
      return {
        kind: "failed",
        reason: CaReason.RenewalFailed,
        message: `cannot issue a new intermediate: ${(error as Error).message}; a new root is a new mesh identity, so create it deliberately (delete ${CACERTS_SECRET_NAME} and ${ROOT_CA_SECRET_NAME})`,
        writes: 0,
      };
    }
  }

  private rootOf(root: Secret | undefined) {
    return { certPem: decoded(root, ROOT_CA_CERT) ?? "", keyPem: decoded(root, ROOT_CA_KEY) ?? "" };
  }

  /** No `cacerts`: issue from the existing root, or make a root first; both create-if-absent. */
  private async create(
    namespace: string,
    root: Secret | undefined,
    settings: ReturnType<typeof caSettings>,
    now: Date,
  ): Promise<CaState> {
    let writes = 0;
    let bundle: CaBundle;
    if (root) {
      const issued = await this.issueUnder(root, settings, now);
      if ("kind" in issued) return issued;
      bundle = issued;
    } else {
      bundle = await generateCa({ ...settings, now });
      // A lost race (409): another replica's root won; the next run issues from it.
      if (
        !(await this.createIfAbsent(
          secretObject(
            namespace,
            ROOT_CA_SECRET_NAME,
            rootCaSecretData({ certPem: bundle.cacerts[ROOT_CERT], keyPem: bundle.rootKey }),
          ),
        ))
      )
        return {
          kind: "failed",
          reason: CaReason.CAInProgress,
          message: "another writer created the root CA first; adopting it",
          writes,
        };
      writes += 1;
    }
    if (!(await this.createIfAbsent(secretObject(namespace, CACERTS_SECRET_NAME, bundle.cacerts))))
      return {
        kind: "failed",
        reason: CaReason.CAInProgress,
        message: "another writer created cacerts first; adopting it",
        writes,
      };
    return this.readyFrom(
      bundle,
      now,
      settings.renewBeforeMs,
      writes + 1,
      root
        ? "issued an intermediate from the existing root"
        : "created a new root and intermediate",
    );
  }

  private async createIfAbsent(secret: KubeObject): Promise<boolean> {
    try {
      await this.ssa.create({
        ...secret,
        stringData: undefined,
        data: base64(secret.stringData as Record<string, string>),
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private readyFrom(
    bundle: CaBundle,
    now: Date,
    renewBeforeMs: number,
    writes: number,
    action: string,
  ): CaState {
    const validation = validateCaSecret(base64(bundle.cacerts), now, 0);
    if (!validation.ok) throw new Error(`the generated CA does not validate: ${validation.reason}`);
    const { rootExpiringSoon } = expiryStatus(validation.summary, now, renewBeforeMs);
    return { kind: "ready", ...validation.summary, rootExpiringSoon, writes, action };
  }

  /** deletionPolicy Delete: remove the generated CA Secrets (only ours, by label). */
  async deleteGenerated(namespace: string): Promise<number> {
    let writes = 0;
    for (const name of [CACERTS_SECRET_NAME, ROOT_CA_SECRET_NAME]) {
      const secret = await this.secret(namespace, name);
      if (secret?.metadata.labels?.["app.kubernetes.io/component"] !== "ca") continue;
      await this.ssa.delete({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } });
      writes += 1;
    }
    return writes;
  }
}
