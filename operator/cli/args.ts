/**
 * How every `meshkeeper` command reads its arguments, so they all behave alike:
 * `--help`/`-h` anywhere before `--` prints the command's usage on stdout (exit 0); an
 * unknown flag, a stray argument or a bad value is a UsageError, which main.ts prints as
 * one line plus the usage on stderr (exit 2). Built on node:util parseArgs (strict).
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** A mistake in the command line, reported with the usage of the command it was for. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** True when the user asked for help: `--help` or `-h` before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const flags = end === -1 ? argv : argv.slice(0, end);
  return flags.includes("--help") || flags.includes("-h");
}

/**
 * parseArgs's first sentence, without its advice about `--` (about positionals, which no
 * command takes): "Unknown option '--bogus'".
 */
function oneLine(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return first.replace(/\. To specify a positional argument.*$/, "");
}

/**
 * The options of one command, strictly: no unknown flag, no positional argument. Returns
 * undefined after printing the usage when help was asked for.
 */
export function parseOptions<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
  usage: string,
) {
  if (wantsHelp(argv)) {
    console.log(usage);
    return undefined;
  }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(oneLine((error as Error).message), usage);
  }
}

/** A whole-number flag within bounds, or a UsageError naming the flag. */
export function integerFlag(
  value: string,
  flag: string,
  [min, max]: readonly [number, number],
  usage: string,
): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new UsageError(`${flag} ${value}: use a whole number from ${min} to ${max}`, usage);
  }
  return parsed;
}

/** The -o value checked against what the command offers; the first choice is the default. */
export function outputFormat<const F extends string>(
  value: string | undefined,
  choices: readonly [F, ...F[]],
  usage: string,
): F {
  if (value === undefined) return choices[0];
  if ((choices as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`-o ${value}: use one of ${choices.join(", ")}`, usage);
}
