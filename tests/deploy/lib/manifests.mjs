// Parses rendered manifests and validates each against the Kubernetes and Istio schemas of the
// npm packages kubernetes-models and @kubernetes-models/istio.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

// Every non-empty YAML document of `text`, as plain objects. `source` names the text in errors.
export function parseManifests(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    const object = doc.toJS();
    if (object !== null && object !== undefined) objects.push(object);
  }
  return objects;
}

// The objects of every .yaml file in `dir` (what `kubectl apply -f dir` applies).
export function readManifestDir(dir) {
  const objects = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    for (const object of parseManifests(readFileSync(join(dir, file), "utf8"), file)) {
      objects.push({ ...object, __file: file });
    }
  }
  return objects;
}

export function describe(object) {
  const ns = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind} ${ns}${object.metadata?.name}`;
}

// The module of an apiVersion: core is kubernetes-models/v1, a Kubernetes group
// kubernetes-models/<group>/<version>, an Istio group @kubernetes-models/istio/<group>/<version>.
function modelModule(apiVersion) {
  if (!apiVersion.includes("/")) return `kubernetes-models/${apiVersion}`;
  if (apiVersion.includes("istio.io/")) return `@kubernetes-models/istio/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

// Validates every object against its model's JSON schema. Returns one message per object that
// has no model (an unknown apiVersion or kind) or fails validation.
export async function validateAgainstSchemas(objects) {
  const problems = [];
  for (const object of objects) {
    const { __file, ...data } = object;
    const where = `${describe(object)}${__file ? ` (${__file})` : ""}`;
    if (typeof data.apiVersion !== "string" || typeof data.kind !== "string") {
      problems.push(`${where}: no apiVersion or kind`);
      continue;
    }
    let module;
    try {
      module = await import(modelModule(data.apiVersion));
    } catch {
      problems.push(`${where}: no schema for apiVersion ${data.apiVersion}`);
      continue;
    }
    const Model = module[data.kind];
    if (typeof Model !== "function") {
      problems.push(`${where}: no schema for ${data.apiVersion} ${data.kind}`);
      continue;
    }
    try {
      new Model(data).validate();
    } catch (error) {
      problems.push(`${where}: ${error.message}`);
    }
  }
  return problems;
}
