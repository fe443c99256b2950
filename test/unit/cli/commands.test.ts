/**
 * The `meshkeeper` command line as a user meets it, run for real as a child process: for
 * every command and subcommand, `--help` and `-h` print its usage on stdout and exit 0;
 * an unknown flag and an unknown subcommand (or stray argument) print one line naming the
 * mistake, then the usage, on stderr, and exit 2, without a stack trace and without
 * starting anything.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { scratchDir } from "../../scratch.ts";

// Each case is a Node process; on a loaded 2-core machine one can take several seconds.
vi.setConfig({ testTimeout: 60_000 });

const MAIN = new URL("../../../operator/cli/main.ts", import.meta.url).pathname;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs meshkeeper with a cache of its own, so nothing here can touch a real cluster. */
export async function meshkeeper(...args: string[]): Promise<Run> {
  const env = { ...process.env, MESHKEEPER_CACHE_DIR: scratchDir("cli-cache"), KUBECONFIG: "" };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** Every command a user can type, as the words that name it. */
const COMMANDS: readonly (readonly string[])[] = [
  [],
  ["cluster"],
  ["cluster", "up"],
  ["cluster", "down"],
  ["cluster", "status"],
  ["cluster", "build"],
  ["crds"],
  ["bundle"],
  ["render"],
  ["run"],
  ["status"],
  ["demo"],
  ["version"],
];

const name = (words: readonly string[]) => ["meshkeeper", ...words].join(" ");

function expectUsage(text: string, words: readonly string[]): void {
  expect(text).toMatch(new RegExp(`^usage: ${name(words)}( |$)`, "m"));
}

function expectUsageError(run: Run, words: readonly string[], mistake: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  const [first, blank, ...usage] = run.stderr.split("\n");
  expect(first).toMatch(new RegExp(`^${name(words)}: `));
  expect(first).toMatch(mistake);
  expect(blank).toBe("");
  expectUsage(usage.join("\n"), words);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

describe.concurrent.each(COMMANDS.map((words) => [name(words), words] as const))(
  "%s",
  (_name, words) => {
    it.each(["--help", "-h"])("%s prints the usage on stdout and exits 0", async (flag) => {
      const run = await meshkeeper(...words, flag);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expectUsage(run.stdout, words);
    });

    it("an unknown flag: one line and the usage on stderr, exit 2", async () => {
      const run = await meshkeeper(...words, "--no-such-flag");
      expectUsageError(run, words, /'--no-such-flag'/);
    });

    it("an unknown subcommand: one line and the usage on stderr, exit 2", async () => {
      const run = await meshkeeper(...words, "no-such-command");
      expectUsageError(run, words, /'no-such-command'|: no-such-command$/);
    });
  },
);

describe.concurrent("meshkeeper help, version and bad values", () => {
  it("`help COMMAND` is that command's --help", async () => {
    const run = await meshkeeper("help", "render");
    expect(run.code).toBe(0);
    expectUsage(run.stdout, ["render"]);
  });

  it("with no command: the usage on stderr, exit 2", async () => {
    expectUsageError(await meshkeeper(), [], /a command is needed/);
    expectUsageError(await meshkeeper("cluster"), ["cluster"], /a command is needed/);
  });

  it("version and --version print the same versions; -o json and yaml give them as data", async () => {
    const text = await meshkeeper("version");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^meshkeeper \d+\.\d+\.\d+\nnode {7}v24\./);
    expect((await meshkeeper("--version")).stdout).toBe(text.stdout);
    const json = await meshkeeper("version", "-o", "json");
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ node: process.version, meshkeeper: expect.any(String) });
    expect(info.istio).toEqual(expect.arrayContaining([expect.stringMatching(/^1\.31\.0/)]));
    const yaml = await meshkeeper("--version", "-o", "yaml");
    expect(yaml.stdout).toContain(`node: ${process.version}`);
  });

  it.each([
    [
      ["render", "-f", "config/samples/minimal.yaml", "-o", "xml"],
      ["render"],
      /-o xml: use one of yaml, json/,
    ],
    [["render"], ["render"], /-f FILE is required/],
    [["crds", "-o", "table"], ["crds"], /-o table: use one of yaml, json/],
    [["crds", "-o", "json", "--output-dir", "x"], ["crds"], /do not go together/],
    [["status", "-o", "wide"], ["status"], /-o wide: use one of table, yaml, json/],
    [["cluster", "status", "-o", "csv"], ["cluster", "status"], /-o csv/],
    [["cluster", "up", "--nodes", "0"], ["cluster", "up"], /--nodes 0 is not a node count/],
    [["cluster", "up", "--port"], ["cluster", "up"], /'--port <value>' argument missing/],
    [["run", "--health-port", "x"], ["run"], /--health-port must be a port number/],
    [["run", "--istio-crds", "maybe"], ["run"], /--istio-crds must be managed or external/],
    [["version", "-o", "text", "-o", "xml"], ["version"], /-o xml/],
  ])("%j is a usage error", async (args, words, mistake) => {
    expectUsageError(await meshkeeper(...args), words, mistake);
  });

  it("cluster status -o json with no cluster: nothing on stdout, the reason on stderr, exit 1", async () => {
    const run = await meshkeeper("cluster", "status", "-o", "json");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: "no local cluster is running (start one with `npm run cluster -- up`)\n",
    });
  });
});

describe("meshkeeper demo --sample", () => {
  it("refuses a name that is not a sample, listing the ones there are", async () => {
    const run = await meshkeeper("demo", "--sample", "nope");
    expectUsageError(
      run,
      ["demo"],
      /--sample nope is not a sample of config\/samples\/ \(use one of ambient, bring-your-own-ca, gateway-api, minimal, production\)/,
    );
  });
});
