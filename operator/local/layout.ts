/**
 * Where everything of one local control plane lives on disk and which loopback ports it
 * uses. Pure data, so the command lines built from it can be unit-tested.
 */
import { join } from "node:path";

export interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwok: number;
}

export interface Layout {
  readonly root: string;
  readonly etcdData: string;
  readonly logs: string;
  readonly apiserverCerts: string;
  readonly controllerManagerCerts: string;
  readonly schedulerCerts: string;
  /** The API server writes its self-signed serving certificate and CA here. */
  readonly apiserverCertificate: string;
  readonly tokens: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly kubeconfig: string;
  readonly controllerManagerKubeconfig: string;
  readonly schedulerKubeconfig: string;
  readonly kwokKubeconfig: string;
  readonly kwokConfig: string;
  /** Process-group ids of running components, read by the watchdog. */
  readonly pids: string;
  /** The pid of the process that owns this cluster; the watchdog reaps only for it. */
  readonly owner: string;
}

export function layoutOf(root: string): Layout {
  const certs = join(root, "certs");
  return {
    root,
    etcdData: join(root, "etcd"),
    logs: join(root, "logs"),
    apiserverCerts: join(certs, "kube-apiserver"),
    controllerManagerCerts: join(certs, "kube-controller-manager"),
    schedulerCerts: join(certs, "kube-scheduler"),
    apiserverCertificate: join(certs, "kube-apiserver", "apiserver.crt"),
    tokens: join(root, "tokens.csv"),
    serviceAccountKey: join(root, "service-account.key"),
    serviceAccountPublicKey: join(root, "service-account.pub"),
    kubeconfig: join(root, "kubeconfig"),
    controllerManagerKubeconfig: join(root, "kube-controller-manager.kubeconfig"),
    schedulerKubeconfig: join(root, "kube-scheduler.kubeconfig"),
    kwokKubeconfig: join(root, "kwok.kubeconfig"),
    kwokConfig: join(root, "kwok.yaml"),
    pids: join(root, "pids"),
    owner: join(root, "owner"),
  };
}

export function logFileOf(layout: Layout, component: string): string {
  return join(layout.logs, `${component}.log`);
}
