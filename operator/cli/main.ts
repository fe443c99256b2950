#!/usr/bin/env node
/**
 * The `meshkeeper` command. Each subcommand lives in its own file; this one only
 * dispatches and turns errors into one readable message and an exit code:
 *   0 done, 1 failed (one line, no stack, for errors that are the user's to fix),
 *   2 bad command line (one line and the command's usage, on stderr).
 * `--help`/`-h` on any command prints its usage and exits 0.
 * Subcommands are imported on use: `run` is a long-lived process with a memory budget,
 * and must not carry the modules of the others (client-node alone is ~75 MiB), so nothing
 * here imports more than Node itself (usage.ts is strings and node:util).
 */
import { UsageError, wantsHelp } from "./args.ts";
import { checkCommandLine, MESHKEEPER_USAGE as USAGE } from "./usage.ts";

/** Errors that are the user's to fix: one line, no stack. */
const USER_ERRORS = new Set([
  "LocalClusterError",
  "RenderInputError",
  "KubeconfigError",
  "KustomizeError",
]);

/** Command-line mistakes: one line and the usage, exit 2. */
const USAGE_ERRORS = new Set(["UsageError", "RunUsageError"]);

type Command = (argv: readonly string[]) => number | Promise<number>;

/** Each command's module, loaded only when that command runs. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  cluster: async () => (await import("./cluster.ts")).clusterCommand,
  crds: async () => (await import("./crds.ts")).crdsCommand,
  bundle: async () => (await import("./bundle.ts")).bundleCommand,
  render: async () => (await import("./render.ts")).renderCommand,
  run: () => Promise.resolve(runWithUsage),
  status: async () => (await import("./status.ts")).statusCommand,
  demo: async () => (await import("./demo.ts")).demoCommand,
  version: async () => (await import("./version.ts")).versionCommand,
};

/** `run`'s own parser reports its mistakes as RunUsageError; its usage is RUN_USAGE. */
async function runWithUsage(argv: readonly string[]): Promise<number> {
  const run = await import("./run.ts");
  if (wantsHelp(argv)) {
    console.log(run.RUN_USAGE);
    return 0;
  }
  try {
    return await run.runCommand(argv);
  } catch (error) {
    if (error instanceof Error && error.name === "RunUsageError") {
      Object.assign(error, { usage: run.RUN_USAGE });
    }
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (command === "help") {
    const [topic] = rest;
    if (topic === undefined) {
      console.log(USAGE);
      return 0;
    }
    return main([topic, "--help"]);
  }
  if (command === "--version") return main(["version", ...rest]);
  if (command === undefined) throw new UsageError("a command is needed", USAGE);
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) {
    const what = command.startsWith("-") ? "option" : "command";
    throw new UsageError(`unknown ${what} '${command}'`, USAGE);
  }
  // --help and a bad command line are answered before the command's module loads.
  if (command !== "run" && !checkCommandLine(command, rest)) return 0;
  return (await load())(rest);
}

/** "meshkeeper cluster up" from "usage: meshkeeper cluster up [--port N] ...". */
function commandOf(usage: string): string {
  return /^usage: (meshkeeper(?: [a-z]+)*)/.exec(usage)?.[1] ?? "meshkeeper";
}

/** The message and exit code for an error that left a command. */
function report(error: unknown): number {
  if (error instanceof Error && USAGE_ERRORS.has(error.name)) {
    const usage = (error as Error & { usage?: string }).usage ?? USAGE;
    // run's messages may carry the usage already: only their first line is the message.
    const message = error.message.split("\n")[0] ?? "";
    console.error(`${commandOf(usage)}: ${message}\n\n${usage}`);
    return 2;
  }
  const known = error instanceof Error && USER_ERRORS.has(error.name);
  console.error(known ? `error: ${error.message}` : error);
  return 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = report(error);
}
