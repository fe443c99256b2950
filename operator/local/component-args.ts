/**
 * The command lines of the control-plane components. Everything listens on 127.0.0.1 only,
 * and every choice that differs from a production cluster is here with its reason.
 */
import type { Layout, Ports } from "./layout.ts";
import { LOOPBACK } from "./ports.ts";

/** Service and pod ranges are only allocation pools here: no traffic is ever routed. */
export const SERVICE_CIDR = "10.96.0.0/16";
export const POD_CIDR = "10.244.0.0/16";
export const NODE_IP = "10.0.0.2";

export function etcdArgs(layout: Layout, ports: Ports): string[] {
  const client = `http://${LOOPBACK}:${ports.etcdClient}`;
  const peer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  return [
    "--name=default",
    `--data-dir=${layout.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // The data is thrown away with the cluster, so durability is not worth the fsyncs.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

export function apiserverArgs(layout: Layout, ports: Ports): string[] {
  return [
    `--etcd-servers=http://${LOOPBACK}:${ports.etcdClient}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${ports.apiserver}`,
    // No certificate files given: the API server creates a CA and serving certificate here.
    `--cert-dir=${layout.apiserverCerts}`,
    `--token-auth-file=${layout.tokens}`,
    "--anonymous-auth=false",
    "--authorization-mode=Node,RBAC",
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${layout.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${layout.serviceAccountKey}`,
    "--api-audiences=https://kubernetes.default.svc.cluster.local",
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--allow-privileged=true",
    // Nothing serves admission webhooks here: KWOK pods run no process, so istiod never
    // answers. The webhook configurations are still stored and reconciled; calling them would
    // only make every pod and Istio object wait for a timeout (or fail, for the injector).
    "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
    "--v=1",
  ];
}

export function controllerManagerArgs(layout: Layout, ports: Ports): string[] {
  return [
    `--kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${layout.controllerManagerCerts}`,
    // One instance per cluster: leader election would only add seconds to the start.
    "--leader-elect=false",
    `--service-account-private-key-file=${layout.serviceAccountKey}`,
    // As kubeadm does: each controller acts as its own service account with its own
    // bootstrap role, so the controller-manager user itself needs only a few rights.
    "--use-service-account-credentials=true",
    `--root-ca-file=${layout.apiserverCertificate}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--cluster-name=meshkeeper-local",
    "--v=1",
  ];
}

export function schedulerArgs(layout: Layout, ports: Ports): string[] {
  return [
    `--kubeconfig=${layout.schedulerKubeconfig}`,
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${layout.schedulerCerts}`,
    "--leader-elect=false",
    "--v=1",
  ];
}

export function kwokArgs(layout: Layout, ports: Ports, nodeLabel: string): string[] {
  return [
    `--kubeconfig=${layout.kwokKubeconfig}`,
    `--config=${layout.kwokConfig}`,
    `--manage-nodes-with-label-selector=${nodeLabel}`,
    `--server-address=${LOOPBACK}:${ports.kwok}`,
    `--cidr=${POD_CIDR}`,
    `--node-ip=${NODE_IP}`,
    // KWOK renews node leases like a kubelet, so the node lifecycle controller keeps nodes Ready.
    "--node-lease-duration-seconds=40",
  ];
}
