package main

// The os library Argo CD gives health checks: os.time and os.date only, so a script can
// compare timestamps but cannot exit, run programs, read the environment or touch files.

import (
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var safeOsFunctions = map[string]lua.LGFunction{"time": osTime, "date": osDate}

// openSafeOs installs the subset as the global os table.
func openSafeOs(state *lua.LState) int {
	state.Push(state.RegisterModule(lua.OsLibName, safeOsFunctions))
	return 1
}

// loadSafeOs answers require("os") with the same subset.
func loadSafeOs(state *lua.LState) int {
	state.Push(state.SetFuncs(state.NewTable(), safeOsFunctions))
	return 1
}

func intField(table *lua.LTable, key string, fallback int) int {
	if number, ok := table.RawGetString(key).(lua.LNumber); ok {
		return int(number)
	}
	return fallback
}

// osTime: now as Unix seconds, or the moment a {year, month, day, hour, min, sec} table names.
func osTime(state *lua.LState) int {
	if state.GetTop() == 0 {
		state.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	fields := state.CheckTable(1)
	moment := time.Date(
		intField(fields, "year", -1), time.Month(intField(fields, "month", -1)),
		intField(fields, "day", -1), intField(fields, "hour", 12),
		intField(fields, "min", 0), intField(fields, "sec", 0), 0, time.Local,
	)
	state.Push(lua.LNumber(moment.Unix()))
	return 1
}

// osDate: a formatted date ("!" first for UTC), or a table with "*t", of now or of a time.
func osDate(state *lua.LState) int {
	moment := time.Now()
	format := "%c"
	if state.GetTop() >= 1 {
		format = state.CheckString(1)
	}
	if state.GetTop() >= 2 {
		moment = time.Unix(state.CheckInt64(2), 0)
	}
	if rest, utc := strings.CutPrefix(format, "!"); utc {
		moment, format = moment.UTC(), rest
	}
	if strings.HasPrefix(format, "*t") {
		state.Push(dateTable(state, moment))
		return 1
	}
	state.Push(lua.LString(strftime(moment, format)))
	return 1
}

func dateTable(state *lua.LState, moment time.Time) *lua.LTable {
	table := state.NewTable()
	for key, value := range map[string]int{
		"year": moment.Year(), "month": int(moment.Month()), "day": moment.Day(),
		"hour": moment.Hour(), "min": moment.Minute(), "sec": moment.Second(),
		"wday": int(moment.Weekday()) + 1, "yday": moment.YearDay(),
	} {
		table.RawSetString(key, lua.LNumber(value))
	}
	table.RawSetString("isdst", lua.LFalse)
	return table
}

// strftimeLayouts maps C strftime conversions to Go reference-time layouts.
var strftimeLayouts = map[byte]string{
	'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'c': "Mon Jan  2 15:04:05 2006",
	'd': "02", 'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM",
	'S': "05", 'T': "15:04:05", 'x': "01/02/06", 'X': "15:04:05", 'y': "06", 'Y': "2006",
	'z': "-0700", 'Z': "MST",
}

func strftime(moment time.Time, format string) string {
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			out.WriteByte(format[i])
			continue
		}
		i++
		conversion := format[i]
		switch layout, known := strftimeLayouts[conversion]; {
		case known:
			out.WriteString(moment.Format(layout))
		case conversion == '%':
			out.WriteByte('%')
		case conversion == 'w':
			out.WriteString(strconv.Itoa(int(moment.Weekday())))
		case conversion == 'j':
			out.WriteString(strconv.Itoa(moment.YearDay()))
		default:
			// Unknown conversions stay as written, as C's strftime leaves them undefined.
			out.WriteByte('%')
			out.WriteByte(conversion)
		}
	}
	return out.String()
}
