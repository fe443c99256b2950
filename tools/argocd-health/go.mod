// A test helper: runs an Argo CD resource health check (Lua) the way Argo CD does, in the
// Lua VM Argo CD embeds (gopher-lua) with the libraries Argo CD opens for custom checks.
module meshkeeper.dev/tools/argocd-health

go 1.26.0

require (
	github.com/yuin/gopher-lua v1.1.2
	layeh.com/gopher-json v0.0.0-20190114024228-97fed8db8427
)
