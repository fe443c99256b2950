#!/usr/bin/env node
/**
 * The `meshkeeper` command. Each subcommand lives in its own file; this one only
 * dispatches and turns errors into one readable message and a non-zero exit code.
 */
import { LocalClusterError } from "../local/errors.ts";
import { clusterCommand } from "./cluster.ts";
import { crdsCommand } from "./crds.ts";
import { demo } from "./demo.ts";
import { RenderInputError, renderCommand } from "./render.ts";
import { RUN_USAGE, RunUsageError, runCommand } from "./run.ts";
import { statusCommand } from "./status.ts";

const USAGE = `usage: meshkeeper <command>

commands:
  cluster up [--port N] [--nodes N]   start the local control plane in the background
  cluster down                        stop it and remove its files
  cluster status                      show its components and the KUBECONFIG line
  cluster build                       build the control-plane binaries into the cache
  crds [-o DIR]                       print the generated CRDs, or write them into DIR
  render -f FILE [-o DIR]             print the objects a MeshConfig renders to (offline)
  run [options]                       run the operator (see: meshkeeper run --help)
  status [--kubeconfig PATH]          the MeshConfig's conditions and components; exit 0 when Ready
  demo                                run the local demo
  version                             print versions`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "cluster":
      return clusterCommand(rest);
    case "crds":
      return crdsCommand(rest);
    case "render":
      return renderCommand(rest);
    case "run":
      if (rest.includes("--help")) {
        console.log(RUN_USAGE);
        return 0;
      }
      return runCommand(rest);
    case "status":
      return statusCommand(rest);
    case "demo":
      return demo();
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
  const known =
    error instanceof LocalClusterError ||
    error instanceof RenderInputError ||
    error instanceof RunUsageError;
  console.error(known ? `error: ${error.message}` : error);
  process.exitCode = 1;
}
