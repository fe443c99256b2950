/**
 * Runs the two readers of the MeshConfig status that live outside the operator:
 *   - Argo CD's health check (config/argocd/health-meshconfig.lua) in Debian's real Lua 5.1
 *     interpreter, sandboxed to the base library, with `obj` set as Argo CD sets it;
 *   - kstatus (sigs.k8s.io/cli-utils), through tools/kstatus-check built once and cached.
 * Used by the unit tests on crafted statuses and by the integration test on live ones.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureGoTool } from "../../../operator/local/go-tool.ts";

export const HEALTH_SCRIPT = fileURLToPath(
  new URL("../../../config/argocd/health-meshconfig.lua", import.meta.url),
);
const LUA = "lua5.1";

/** What Argo CD's health check returned. */
export interface Health {
  readonly status: string;
  readonly message: string;
}

/** What kstatus computed. */
export interface KStatus {
  readonly status: string;
  readonly message: string;
}

function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    // Everything else (control characters, UTF-8 bytes) as a decimal escape: the literal
    // stays ASCII and Lua sees exactly the bytes Argo CD's Lua would.
    else out += `\\${byte.toString().padStart(3, "0")}`;
  }
  return `${out}"`;
}

/** A JSON value as a Lua table constructor, so the Lua side needs no JSON library. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return String(value);
  }
  if (typeof value === "string") return luaString(value);
  if (Array.isArray(value)) return `{${value.map((item) => toLua(item)).join(", ")}}`;
  if (typeof value === "object") {
    const fields = Object.entries(value)
      .filter(([, field]) => field !== null && field !== undefined)
      .map(([key, field]) => `[${luaString(key)}] = ${toLua(field)}`);
    return `{${fields.join(", ")}}`;
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/**
 * Runs the script in an environment holding `obj` and Lua's base library only: a script
 * that reaches for string, table, os or an undefined global fails here, as it would in
 * Argo CD without `resource.customizations.useOpenLibs`.
 */
function program(object: unknown): string {
  return `
local BASE = { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
  "rawset", "select", "tonumber", "tostring", "type", "unpack", "xpcall" }
local env = { obj = ${toLua(object)} }
for _, name in ipairs(BASE) do env[name] = _G[name] end
setmetatable(env, { __index = function(_, name)
  error("the health check used " .. tostring(name) .. ", which is not in Lua's base library", 2)
end })
local chunk = assert(loadfile(${luaString(HEALTH_SCRIPT)}))
setfenv(chunk, env)
local hs = chunk()
if type(hs) ~= "table" then error("the health check returned " .. type(hs) .. ", not a table") end
if type(hs.status) ~= "string" then error("hs.status is " .. type(hs.status)) end
if hs.message ~= nil and type(hs.message) ~= "string" then error("hs.message is " .. type(hs.message)) end
io.write(hs.status, "\\n", hs.message or "")
`;
}

/** The Argo CD health of a MeshConfig, computed by Debian's lua5.1 running our script. */
export function argoHealth(object: unknown): Health {
  let stdout: string;
  try {
    stdout = execFileSync(LUA, ["-"], {
      input: program(object),
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === "ENOENT") {
      throw new Error(
        `${LUA} was not found on PATH: run \`apt-get install -y lua5.1\` (Debian's Lua 5.1 ` +
          "interpreter runs the Argo CD health check in these tests)",
        { cause: error },
      );
    }
    throw new Error(`the health check failed in ${LUA}:\n${failure.stderr ?? String(error)}`, {
      cause: error,
    });
  }
  const newline = stdout.indexOf("\n");
  return { status: stdout.slice(0, newline), message: stdout.slice(newline + 1) };
}

/** A function computing kstatus, after building tools/kstatus-check (cached) once. */
export async function kstatusChecker(): Promise<(object: unknown) => KStatus> {
  const binary = await ensureGoTool("kstatus-check");
  return (object) => {
    const stdout = execFileSync(binary, [], { input: JSON.stringify(object), encoding: "utf8" });
    return JSON.parse(stdout) as KStatus;
  };
}
