/**
 * An operator identity with exactly the rules a test grants, nothing more: a
 * ServiceAccount in a namespace of the test's own, a ClusterRole and a Role (leader
 * election) bound to it, a token from the TokenRequest API, and a log that collects
 * every line the operator prints so a test can fail on the first 403.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { PolicyRule } from "../../operator/olm/csv.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import type { ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { adminConfig, tokenConfig, uniqueName } from "./cluster-client.ts";
import { keyMaterialIn } from "./operator-harness.ts";

const ACCOUNT = "meshkeeper";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

export class RestrictedIdentity {
  readonly namespace = uniqueName("restricted-operator");
  private readonly clusterRole = uniqueName("meshkeeper-restricted");
  readonly admin = new RestClient(adminConfig());
  private readonly discovery = new Discovery(this.admin);
  readonly logLines: string[] = [];

  /** A logger for the operator under test: debug level, every line kept. */
  readonly log = createLogger({
    level: "debug",
    destination: {
      write: (line: string) => {
        this.logLines.push(line);
      },
    },
  });

  /** Server-side apply as the test's administrator (a person with kubectl). */
  async apply(object: ApplyTarget) {
    await this.admin.send({
      method: "PATCH",
      path: await this.discovery.pathOf(object),
      body: object,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: "restricted-identity-test", force: "true" },
    });
  }

  async grant(clusterRules: readonly PolicyRule[], namespacedRules: readonly PolicyRule[]) {
    const subjects = [{ kind: "ServiceAccount", name: ACCOUNT, namespace: this.namespace }];
    const rbac = "rbac.authorization.k8s.io";
    await this.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: this.namespace } });
    await this.apply({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: ACCOUNT, namespace: this.namespace },
    });
    await this.apply({
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: this.clusterRole },
      rules: clusterRules,
    });
    await this.apply({
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: this.clusterRole },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: this.clusterRole },
      subjects,
    });
    await this.apply({
      apiVersion: `${rbac}/v1`,
      kind: "Role",
      metadata: { name: ACCOUNT, namespace: this.namespace },
      rules: namespacedRules,
    });
    await this.apply({
      apiVersion: `${rbac}/v1`,
      kind: "RoleBinding",
      metadata: { name: ACCOUNT, namespace: this.namespace },
      roleRef: { apiGroup: rbac, kind: "Role", name: ACCOUNT },
      subjects,
    });
  }

  /** A kubeconfig that authenticates as the ServiceAccount (a one-hour token). */
  async kubeConfig(): Promise<KubeConfig> {
    const request = await this.admin.send<{ status: { token: string } }>({
      method: "POST",
      path: `/api/v1/namespaces/${this.namespace}/serviceaccounts/${ACCOUNT}/token`,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    });
    return tokenConfig(ACCOUNT, request.status.token);
  }

  /** The operator's log lines that report a refusal by authorization. */
  forbidden(): string[] {
    // ApiError fields ("status":403) or its message ("403 Forbidden"), wherever it is
    // logged: reconcile errors, watch restarts, event and lease failures.
    return this.logLines.filter((line) => /"status":403\b|\b403 Forbidden\b/.test(line));
  }

  /** What the first refusal was about, short enough to read in a test failure. */
  firstRefusal(): string {
    const line = this.forbidden()[0] ?? "";
    const parsed = JSON.parse(line) as {
      msg?: string;
      reason?: string;
      err?: { message?: string };
    };
    return `${parsed.msg ?? ""}: ${(parsed.err?.message ?? parsed.reason ?? line).slice(0, 400)}`;
  }

  /** Throws at the first refusal: for `until` checks that should fail fast. */
  assertNoRefusal(): void {
    if (this.forbidden().length > 0)
      throw new Error(`the operator was refused: ${this.firstRefusal()}`);
  }

  /** Removes the identity; fails if anything the operator logged looks like key material. */
  async remove(): Promise<void> {
    const quietly = (path: string) =>
      this.admin.send({ method: "DELETE", path }).catch(() => undefined);
    await quietly(`${RBAC}/clusterrolebindings/${this.clusterRole}`);
    await quietly(`${RBAC}/clusterroles/${this.clusterRole}`);
    await quietly(`/api/v1/namespaces/${this.namespace}`);
    this.admin.close();
    if (this.forbidden().length > 0)
      console.error(
        `${this.forbidden().length} refusals in the operator's log; the first: ${this.firstRefusal()}`,
      );
    const leaked = keyMaterialIn(this.logLines);
    if (leaked.length > 0)
      throw new Error(`the operator logged what looks like key material (${leaked.length} lines)`);
  }
}
