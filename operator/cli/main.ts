#!/usr/bin/env node
/**
 * The `meshkeeper` command. Each subcommand lives in its own file; this one only
 * dispatches and turns errors into one readable message and a non-zero exit code.
 * Subcommands are imported on use: `run` is a long-lived process with a memory budget,
 * and must not carry the modules of the others (client-node alone is ~75 MiB).
 */

/** Errors that are the user's to fix: one line, no stack. */
const USER_ERRORS = new Set([
  "LocalClusterError",
  "RenderInputError",
  "RunUsageError",
  "KubeconfigError",
  "KustomizeError",
]);

const USAGE = `usage: meshkeeper <command>

commands:
  cluster up [--port N] [--nodes N]   start the local control plane in the background
  cluster down                        stop it and remove its files
  cluster status                      show its components and the KUBECONFIG line
  cluster build                       build the control-plane binaries into the cache
  crds [-o DIR]                       print the generated CRDs, or write them into DIR
  bundle [--check] [--validate]       write (or check) the OLM bundle and catalog in olm/
  render -f FILE [-o DIR]             print the objects a MeshConfig renders to (offline)
  run [options]                       run the operator (see: meshkeeper run --help)
  status [--kubeconfig PATH]          the MeshConfig's conditions and components; exit 0 when Ready
  demo                                run the local demo
  version                             print versions`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "cluster":
      return (await import("./cluster.ts")).clusterCommand(rest);
    case "crds":
      return (await import("./crds.ts")).crdsCommand(rest);
    case "bundle":
      return (await import("./bundle.ts")).bundleCommand(rest);
    case "render":
      return (await import("./render.ts")).renderCommand(rest);
    case "run": {
      const run = await import("./run.ts");
      if (!rest.includes("--help")) return run.runCommand(rest);
      console.log(run.RUN_USAGE);
      return 0;
    }
    case "status":
      return (await import("./status.ts")).statusCommand(rest);
    case "demo":
      return (await import("./demo.ts")).demo();
    case "version":
      console.log(`meshkeeper 0.1.0 on node ${process.version}`);
      return 0;
    default:
      console.error(USAGE);
      return command === undefined || command === "help" ? 0 : 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof Error && USER_ERRORS.has(error.name);
  console.error(known ? `error: ${error.message}` : error);
  process.exitCode = 1;
}
