// Command argocd-health runs an Argo CD custom resource health check (a Lua script) on one
// object the way Argo CD's util/lua does, so tests judge the script by Argo CD's rules
// rather than by a stand-alone Lua interpreter's:
//
//   - the VM is gopher-lua, the one Argo CD embeds (Lua 5.1 semantics);
//   - only the base, package and table libraries are open, plus an os table holding just
//     os.time and os.date (Argo CD's "safe" os); string, math, io, debug and the rest of
//     os exist only with --open-libs (resource.customizations.useOpenLibs), which opens
//     Lua's standard libraries first, so os is then the full library, as in Argo CD;
//   - the object is the global `obj`, converted from JSON as Argo CD converts unstructured
//     objects (maps to tables, arrays to sequences, numbers to Lua numbers, null to nil);
//   - the script gets one second, then its context is cancelled;
//   - the returned value must be a table; it goes through JSON into {status, message}, and
//     a status that is not one of Argo CD's health codes becomes Unknown.
//
// Usage: argocd-health [--open-libs] SCRIPT.lua < object.json
// Writes {"status": ..., "message": ...} on stdout. A script that fails, times out or
// returns something else than a table is reported on stderr with exit code 1; bad usage
// exits 2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

// scriptTimeout is how long Argo CD lets a health script run.
const scriptTimeout = time.Second

// invalidHealthStatus is Argo CD's message for a status outside its health codes.
const invalidHealthStatus = "Lua returned an invalid health status"

// healthCodes are Argo CD's health status codes (gitops-engine's health package).
var healthCodes = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true,
	"Healthy": true, "Degraded": true, "Missing": true,
}

type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// newSandbox makes a VM with the libraries Argo CD opens for a custom health check.
func newSandbox(openLibs bool) (*lua.LState, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	libraries := []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	}
	for _, library := range libraries {
		call := lua.P{Fn: state.NewFunction(library.open), NRet: 0, Protect: true}
		if err := state.CallByParam(call, lua.LString(library.name)); err != nil {
			state.Close()
			return nil, fmt.Errorf("opening the %q library: %w", library.name, err)
		}
	}
	// `local os = require("os")` must find the same safe subset.
	state.PreloadModule(lua.OsLibName, loadSafeOs)
	return state, nil
}

// toLua converts a decoded JSON value into the Lua value Argo CD hands a script.
func toLua(state *lua.LState, value any) lua.LValue {
	switch typed := value.(type) {
	case bool:
		return lua.LBool(typed)
	case float64:
		return lua.LNumber(typed)
	case string:
		return lua.LString(typed)
	case []any:
		table := state.CreateTable(len(typed), 0)
		for _, item := range typed {
			table.Append(toLua(state, item))
		}
		return table
	case map[string]any:
		table := state.CreateTable(0, len(typed))
		for key, item := range typed {
			table.RawSetH(lua.LString(key), toLua(state, item))
		}
		return table
	default:
		return lua.LNil
	}
}

// fromLua reads the script's answer as Argo CD does: through JSON into {status, message}.
func fromLua(value lua.LValue) (health, error) {
	if value.Type() != lua.LTTable {
		return health{}, fmt.Errorf("expect table output from Lua script, not %s", value.Type())
	}
	encoded, err := luajson.Encode(value)
	if err != nil {
		return health{}, fmt.Errorf("encoding the returned table as JSON: %w", err)
	}
	var answer health
	if err := json.Unmarshal(encoded, &answer); err != nil {
		return health{}, fmt.Errorf("reading the returned table %s: %w", encoded, err)
	}
	if !healthCodes[answer.Status] {
		return health{Status: "Unknown", Message: invalidHealthStatus}, nil
	}
	return answer, nil
}

func evaluate(script string, object any, openLibs bool) (health, error) {
	state, err := newSandbox(openLibs)
	if err != nil {
		return health{}, err
	}
	defer state.Close()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(script); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return health{}, fmt.Errorf("the script ran longer than %s: %w", scriptTimeout, err)
		}
		return health{}, err
	}
	return fromLua(state.Get(-1))
}

func run(args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	flags := flag.NewFlagSet("argocd-health", flag.ContinueOnError)
	openLibs := flags.Bool("open-libs", false, "open Lua's standard libraries (useOpenLibs)")
	if err := flags.Parse(args); err != nil {
		return 2, err
	}
	if flags.NArg() != 1 {
		return 2, errors.New("usage: argocd-health [--open-libs] SCRIPT.lua < object.json")
	}
	script, err := os.ReadFile(flags.Arg(0))
	if err != nil {
		return 2, err
	}
	var object any
	if err := json.NewDecoder(stdin).Decode(&object); err != nil {
		return 1, fmt.Errorf("reading the object (JSON on stdin): %w", err)
	}
	answer, err := evaluate(string(script), object, *openLibs)
	if err != nil {
		return 1, err
	}
	return 0, json.NewEncoder(stdout).Encode(answer)
}

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
	}
	os.Exit(code)
}
