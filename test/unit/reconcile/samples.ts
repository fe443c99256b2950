/** Renders the shipped samples the way the reconciler does: parse, validate (defaults), render. */
import { sampleFiles } from "../../fixtures/samples.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { validateSpec } from "../../../operator/api/validate.ts";
import { render, type Owner, type RenderedObject } from "../../../operator/render/render.ts";

const SAMPLES = new URL("../../../config/samples/", import.meta.url);

export const SAMPLE_FILES = sampleFiles();

export const OWNER: Owner = { name: "default", uid: "0b5c1c52-6d4e-4c39-9f1e-2f2f7c1d9a01" };

export function renderSample(file: string, owner: Owner | undefined = OWNER): RenderedObject[] {
  const document = parse(readFileSync(new URL(file, SAMPLES), "utf8")) as { spec?: unknown };
  const validation = validateSpec(document.spec);
  if (!validation.ok) throw new Error(`${file}: ${JSON.stringify(validation.problems)}`);
  return render(validation.spec, owner);
}
