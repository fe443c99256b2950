/**
 * Every command line `meshkeeper` accepts, as data: each command's usage text and its
 * options. Light on purpose (strings and node:util only): main.ts answers `--help` and
 * refuses a bad command line from here, before it loads the command's module, so neither
 * costs the seconds that loading client-node takes; the commands parse with the same specs.
 * `run` is the exception: its flags and usage live in run.ts.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ParseArgsOptionsConfig } from "node:util";
import { outputFormat, parseOptions, UsageError } from "./args.ts";

export const MESHKEEPER_USAGE = `usage: meshkeeper <command> [options]

commands:
  run [options]                         run the operator
  status [--kubeconfig PATH] [-o FMT]   the MeshConfig's conditions and components; exit 0 when Ready
  render -f FILE [-o FMT] [--output-dir DIR]
                                        print the objects a MeshConfig renders to (offline)
  crds [-o FMT] [--output-dir DIR]      print the generated CRDs, or write them into DIR
  cluster up|down|status|build          the local control plane (see: meshkeeper cluster --help)
  demo                                  run the local demo
  bundle [--check] [--validate]         write (or check) the OLM bundle and catalog in olm/
  version [-o FMT]                      print versions (also: meshkeeper --version)
  help [COMMAND]                        this help, or a command's

FMT is yaml or json (status and cluster status: also table, the default).
Run \`meshkeeper <command> --help\` for a command's options.`;

export const BUNDLE_USAGE = `usage: meshkeeper bundle [--check] [--validate]

Writes the OLM bundle and catalog under olm/ and the CRD copy under config/crd/ (npm run bundle).

  --check       write nothing; list the files that differ from what the generator makes
                (exit 1 when any does)
  --validate    then run operator-sdk bundle validate and opm validate on the result
                (built from tools/olm-validators on first use)
  -h, --help    this help`;

export const CLUSTER_USAGE = `usage: meshkeeper cluster <command>

The local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, KWOK nodes), run in the background from the binaries in the cache.

commands:
  up [--port N] [--nodes N]   start it and wait until it is healthy; prints the KUBECONFIG line
  down                        stop it (and a demo's operator) and remove its files
  status [-o table|yaml|json] its components, pids, ports, logs; exit 0 when all run
  build                       build the missing binaries and test helpers into the cache

Run \`meshkeeper cluster <command> --help\` for a command's options.`;

export const CLUSTER_UP_USAGE = `usage: meshkeeper cluster up [--port N] [--nodes N]

Starts the local control plane in the background and returns once it is healthy.

  --port N      kube-apiserver's port on 127.0.0.1 (default: a free one)
  --nodes N     KWOK nodes to register, 1-100 (default 1)
  -h, --help    this help`;

export const CLUSTER_DOWN_USAGE = `usage: meshkeeper cluster down

Stops the local control plane and a background operator (the demo's), and removes their files.`;

export const CLUSTER_STATUS_USAGE = `usage: meshkeeper cluster status [-o table|yaml|json]

The server, the supervisor and every component with its pid, port, state and log.
exit codes: 0 ready and every component running, 1 not (or no cluster), 2 bad arguments

  -o, --output FORMAT   table (default), yaml or json
  -h, --help            this help`;

export const CLUSTER_BUILD_USAGE = `usage: meshkeeper cluster build

Builds what is missing from the cache (\`npm run build:binaries\`): the control-plane
binaries from their Go modules in tools/, and the Go test helpers (tools/argocd-health,
kstatus-check, pki-check). Set TEST_ASSET_<NAME> to use prebuilt ones.`;

export const CRDS_USAGE = `usage: meshkeeper crds [-o yaml|json] [--output-dir DIR]

Prints the CustomResourceDefinitions the operator needs: MeshConfig's and Istio's
(\`meshkeeper crds | kubectl apply --server-side -f -\`).

  -o, --output FORMAT   yaml (default: one document per CRD) or json (one v1 List)
  --output-dir DIR      write one file per CRD into DIR instead (npm run generate: crds/)
  -h, --help            this help`;

export const DEMO_USAGE = `usage: meshkeeper demo

The local demo (npm run demo): starts the local control plane in the background (as
\`cluster up\`), installs the MeshConfig CRD, starts the operator in the background, applies
config/samples/production.yaml and follows it until the mesh is Ready, then prints the
status table and how to look around. Both keep running until \`meshkeeper cluster down\`.

  --istiod      also run Istio's real istiod (pilot-discovery, built from tools/istio on
                first use) beside the cluster, with exactly what the operator applied;
                istiod's Deployment stays KWOK-simulated (docs/istio.md)
  --sample NAME the sample of config/samples/ to apply (default production): minimal,
                production, ambient (ztunnel and the CNI agent, docs/ambient.md),
                bring-your-own-ca (needs its Secret first, docs/operator.md),
                gateway-api (then its ingress example: a Gateway of class istio, an
                HTTPRoute; with --istiod istiod deploys the gateway, docs/gateway-api.md)
  -h, --help    this help

Pods start at once; MESHKEEPER_POD_START_MS and MESHKEEPER_POD_READY_MS give them a
kubelet's delays (docs/local-control-plane.md).`;

export const DEMO_OPTIONS = {
  istiod: { type: "boolean", default: false },
  sample: { type: "string", default: "production" },
} as const;

const SAMPLES_DIR = fileURLToPath(new URL("../../config/samples/", import.meta.url));

/** The samples the demo can apply: config/samples/*.yaml but the kustomization. */
export function demoSamples(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .map((file) => file.slice(0, -".yaml".length))
    .sort();
}

export function demoValues(values: { istiod: boolean; sample: string }) {
  const samples = demoSamples();
  if (!samples.includes(values.sample))
    throw new UsageError(
      `--sample ${values.sample} is not a sample of config/samples/ (use one of ${samples.join(", ")})`,
      DEMO_USAGE,
    );
  return { istiod: values.istiod, sample: `${SAMPLES_DIR}${values.sample}.yaml` };
}

export const RENDER_USAGE = `usage: meshkeeper render -f FILE [-o yaml|json] [--output-dir DIR]

Prints the objects a MeshConfig renders to, in apply order, without a cluster: what the
operator would apply for it.

  -f, --file FILE       the MeshConfig (YAML or JSON)
  -o, --output FORMAT   yaml (default: one document per object) or json (one v1 List)
  --output-dir DIR      write one file per object into DIR instead (NNN-component-kind-name.yaml),
                        replacing the files of an earlier render there
  -h, --help            this help

exit codes: 0 rendered, 1 the file is not a valid MeshConfig (one line per problem), 2 bad arguments`;

export const STATUS_USAGE = `usage: meshkeeper status [--kubeconfig PATH] [-o table|yaml|json]

Shows the MeshConfig "default": conditions, component readiness, CA expiry.
The kubeconfig is PATH, else $KUBECONFIG, else ~/.kube/config (or in-cluster).

  --kubeconfig PATH     the cluster to ask
  -o, --output FORMAT   table (default), or the whole MeshConfig as yaml or json
  -h, --help            this help

exit codes:
  0  Ready=True for the current generation
  3  not ready (yet): still reconciling, stalled, or not seen by the operator
  1  error: no MeshConfig, cluster unreachable, not allowed
  2  bad arguments`;

export const VERSION_USAGE = `usage: meshkeeper version [-o yaml|json]

Prints meshkeeper's version, the Node.js it runs on, the Istio versions it installs and the
Kubernetes version of its local control plane.

  -o, --output FORMAT   text (default), yaml or json
  -h, --help            this help`;

export const RENDER_OPTIONS = {
  file: { type: "string", short: "f" },
  output: { type: "string", short: "o" },
  "output-dir": { type: "string" },
} as const;
export const CRDS_OPTIONS = {
  output: { type: "string", short: "o" },
  "output-dir": { type: "string" },
} as const;
export const BUNDLE_OPTIONS = {
  check: { type: "boolean", default: false },
  validate: { type: "boolean", default: false },
} as const;
export const STATUS_OPTIONS = {
  kubeconfig: { type: "string" },
  output: { type: "string", short: "o" },
} as const;
export const CLUSTER_UP_OPTIONS = {
  port: { type: "string" },
  nodes: { type: "string", default: "1" },
} as const;
export const OUTPUT_OPTION = { output: { type: "string", short: "o" } } as const;

interface CommandLine {
  readonly usage: string;
  readonly options: ParseArgsOptionsConfig;
  /** The -o choices, the default first. */
  readonly formats?: readonly [string, ...string[]];
  /** Checks the values beyond their syntax; throws a UsageError. */
  readonly check?: (values: Record<string, unknown>) => void;
}

/** cluster up's --port and --nodes as numbers, checked. */
export function clusterUpValues(values: { port?: string | undefined; nodes: string }) {
  const port = values.port === undefined ? undefined : Number(values.port);
  const nodes = Number(values.nodes);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new UsageError(
      `--port ${values.port ?? ""} is not a port number (use 1-65535)`,
      CLUSTER_UP_USAGE,
    );
  }
  if (!(Number.isInteger(nodes) && nodes >= 1 && nodes <= 100)) {
    throw new UsageError(
      `--nodes ${values.nodes} is not a node count (use 1-100)`,
      CLUSTER_UP_USAGE,
    );
  }
  return { port, nodes };
}

/** Commands (and cluster's verbs) by the words that name them. */
const COMMAND_LINES: Readonly<Record<string, CommandLine>> = {
  render: { usage: RENDER_USAGE, options: RENDER_OPTIONS, formats: ["yaml", "json"] },
  crds: { usage: CRDS_USAGE, options: CRDS_OPTIONS, formats: ["yaml", "json"] },
  bundle: { usage: BUNDLE_USAGE, options: BUNDLE_OPTIONS },
  status: { usage: STATUS_USAGE, options: STATUS_OPTIONS, formats: ["table", "yaml", "json"] },
  demo: {
    usage: DEMO_USAGE,
    options: DEMO_OPTIONS,
    check: (values) => demoValues(values as { istiod: boolean; sample: string }),
  },
  version: { usage: VERSION_USAGE, options: OUTPUT_OPTION, formats: ["text", "yaml", "json"] },
  "cluster up": {
    usage: CLUSTER_UP_USAGE,
    options: CLUSTER_UP_OPTIONS,
    check: (values) => clusterUpValues(values as { port?: string; nodes: string }),
  },
  "cluster down": { usage: CLUSTER_DOWN_USAGE, options: {} },
  "cluster status": {
    usage: CLUSTER_STATUS_USAGE,
    options: OUTPUT_OPTION,
    formats: ["table", "yaml", "json"],
  },
  "cluster build": { usage: CLUSTER_BUILD_USAGE, options: {} },
};

/** cluster's verb, checked: undefined after printing cluster's usage for --help. */
function clusterVerb(argv: readonly string[]): string | undefined {
  const [verb] = argv;
  if (verb === "--help" || verb === "-h" || verb === "help") {
    console.log(CLUSTER_USAGE);
    return undefined;
  }
  if (verb === undefined) throw new UsageError("a command is needed", CLUSTER_USAGE);
  // `serve` is the background supervisor `cluster up` starts: internal, not in the usage.
  if (verb === "serve" || Object.hasOwn(COMMAND_LINES, `cluster ${verb}`)) return verb;
  throw new UsageError(
    verb.startsWith("-") ? `Unknown option '${verb}'` : `unknown cluster command: ${verb}`,
    CLUSTER_USAGE,
  );
}

/**
 * Checks a command's arguments against its spec: false after printing the usage (help was
 * asked for), true when the command should run; a mistake throws a UsageError.
 */
export function checkCommandLine(command: string, argv: readonly string[]): boolean {
  let words = command;
  let rest = argv;
  if (command === "cluster") {
    const verb = clusterVerb(argv);
    if (verb === undefined) return false;
    if (verb === "serve") return true;
    words = `cluster ${verb}`;
    rest = argv.slice(1);
  }
  const line = COMMAND_LINES[words];
  if (line === undefined) return true;
  const values = parseOptions(rest, line.options, line.usage);
  if (values === undefined) return false;
  if (line.formats) outputFormat(values.output as string | undefined, line.formats, line.usage);
  line.check?.(values);
  return true;
}
