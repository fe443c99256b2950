/**
 * The identities of the local control plane. Access is authenticated with static bearer
 * tokens (the API server's --token-auth-file), one user per component so RBAC sees the
 * same principals as in a real cluster: an admin in system:masters, and the built-in
 * system:kube-controller-manager and system:kube-scheduler users, whose bootstrap
 * ClusterRoles the API server creates itself.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { stringify } from "yaml";

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
  readonly token: string;
}

export interface Identities {
  readonly admin: Identity;
  readonly controllerManager: Identity;
  readonly scheduler: Identity;
  readonly kwok: Identity;
}

function identity(user: string, groups: readonly string[]): Identity {
  return { user, groups, token: randomBytes(24).toString("hex") };
}

export function makeIdentities(): Identities {
  return {
    admin: identity("meshkeeper-admin", ["system:masters"]),
    controllerManager: identity("system:kube-controller-manager", []),
    scheduler: identity("system:kube-scheduler", []),
    // KWOK plays every kubelet at once, so it writes node and pod status like one.
    kwok: identity("kwok", ["system:masters"]),
  };
}

/** The --token-auth-file format: token,user,uid,"group1,group2". */
export function tokenFile(identities: Identities): string {
  const all: Identity[] = [
    identities.admin,
    identities.controllerManager,
    identities.scheduler,
    identities.kwok,
  ];
  return all
    .map((id) => `${id.token},${id.user},${id.user},"${id.groups.join(",")}"`)
    .join("\n")
    .concat("\n");
}

/** The key pair the API server signs service account tokens with (ES256). */
export function serviceAccountKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("ec", {
    namedCurve: "prime256v1",
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}

export const CLUSTER_NAME = "meshkeeper-local";

export function kubeconfig(server: string, caPem: string, id: Identity): string {
  const context = `${id.user}@${CLUSTER_NAME}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: CLUSTER_NAME,
        cluster: {
          server,
          "certificate-authority-data": Buffer.from(caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: id.user, user: { token: id.token } }],
    contexts: [{ name: context, context: { cluster: CLUSTER_NAME, user: id.user } }],
    "current-context": context,
  });
}
