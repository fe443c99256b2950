-- Argo CD health check for meshkeeper.dev/MeshConfig (Lua 5.1, base library only).
--
-- Reads the status contract the operator writes (docs/gitops.md):
--   Progressing  no status yet, status.observedGeneration behind metadata.generation
--                (-1 until the operator has seen the object), or Reconciling=True
--   Degraded     Stalled=True (a person must act), or Reconciled=False while not
--                Reconciling (the spec cannot be applied)
--   Suspended    Reconciled=False because a person paused the mesh
--                (annotation meshkeeper.dev/paused: "true")
--   Healthy      Ready=True
--   Progressing  anything else (applied, components still coming up)
--
-- config/argocd/argocd-cm-patch.yaml is generated from this file:
--   node tools/argocd-cm/generate.ts

local hs = {}

local function find(conditions, wanted)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if type(condition) == "table" and condition.type == wanted then
      return condition
    end
  end
  return nil
end

local function is(condition, status)
  return condition ~= nil and condition.status == status
end

-- "Reason: message" from a condition, or the fallback when it says nothing.
local function explain(condition, fallback)
  if condition == nil or type(condition.message) ~= "string" or condition.message == "" then
    return fallback
  end
  if type(condition.reason) == "string" and condition.reason ~= "" then
    return condition.reason .. ": " .. condition.message
  end
  return condition.message
end

local function answer(status, message)
  hs.status = status
  hs.message = message
  return hs
end

local status = obj.status
if type(status) ~= "table" then
  return answer("Progressing", "Waiting for the operator to report a status")
end

local generation = nil
if type(obj.metadata) == "table" and type(obj.metadata.generation) == "number" then
  generation = obj.metadata.generation
end
local observed = status.observedGeneration
if type(observed) ~= "number" or observed < 0 then
  return answer("Progressing", "Waiting for the operator to see this MeshConfig")
end
if generation ~= nil and observed < generation then
  return answer(
    "Progressing",
    "Waiting for the operator to act on generation " .. generation .. " (last seen: " .. observed .. ")"
  )
end

local conditions = status.conditions
local ready = find(conditions, "Ready")
local reconciled = find(conditions, "Reconciled")
local reconciling = find(conditions, "Reconciling")
local stalled = find(conditions, "Stalled")

-- A terminal problem wins over everything else: nothing progresses until a person acts.
if is(stalled, "True") then
  return answer("Degraded", explain(stalled, "Stalled: a person must act"))
end
if is(reconciling, "True") then
  return answer("Progressing", explain(reconciling, "The operator is applying the mesh"))
end
if is(reconciled, "False") then
  if reconciled.reason == "Paused" then
    return answer("Suspended", explain(reconciled, "Reconciliation is paused"))
  end
  return answer("Degraded", explain(reconciled, "The operator could not apply this generation"))
end
if is(ready, "True") then
  return answer("Healthy", explain(ready, "The mesh is serving"))
end
return answer("Progressing", explain(ready, "Waiting for the mesh to become Ready"))
