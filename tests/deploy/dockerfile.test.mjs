// The Dockerfile cannot be built here (no registry for base images) and no Dockerfile linter is
// packaged in Debian bookworm, so these tests read it: Debian bookworm stages, the SERVICE
// argument, the chart's non-root user, and every library the service binaries link installed in
// the runtime stage (checked against the binaries of the build, when there is one).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";

import { CHART, ROOT } from "./lib/helm.mjs";

// The Dockerfile's instructions, continuation lines joined, comments dropped.
function instructions() {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line);
      return { keyword: keyword.toUpperCase(), rest };
    });
}

function stages() {
  const result = [];
  for (const instruction of instructions()) {
    if (instruction.keyword === "FROM") result.push({ from: instruction.rest, body: [] });
    else result.at(-1)?.body.push(instruction);
  }
  return result;
}

test("every stage is Debian bookworm", () => {
  const all = stages();
  assert.ok(all.length >= 2, "expected a build stage and a runtime stage");
  for (const stage of all) assert.match(stage.from, /^debian:bookworm(-slim)?(\s+AS\s+\w+)?$/i);
});

test("the build takes the service as the SERVICE argument and builds only that target", () => {
  const build = stages()[0].body;
  assert.ok(build.some((i) => i.keyword === "ARG" && i.rest === "SERVICE"));
  assert.ok(build.some((i) => i.keyword === "RUN" && /--target "\$\{SERVICE\}"/.test(i.rest)));
});

test("the image runs as the chart's non-root user", () => {
  const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8"));
  const runtime = stages().at(-1).body;
  const user = runtime.filter((i) => i.keyword === "USER").at(-1);
  assert.ok(user, "the runtime stage sets no USER");
  assert.equal(user.rest, `${values.global.runAsUser}:${values.global.runAsGroup}`);
  assert.ok(runtime.some((i) => i.keyword === "ENTRYPOINT"));
});

const BINARIES = [
  "services/billing/billing",
  "services/usedcar/purchase/purchase",
  "services/usedcar/consign/consign",
  "services/usedcar/stock/stock",
  "services/usedcar/dashboard/dashboard",
  "services/notification/notification",
];
// In debian:bookworm-slim already (apt itself needs them).
const BASE_PACKAGES = new Set(["libc6", "libgcc-s1", "libstdc++6"]);

function run(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout : "";
}

test("the runtime stage installs every package the service binaries link", (t) => {
  const build = process.env.MESH_BUILD_DIR ?? "build";
  const dir = isAbsolute(build) ? build : join(ROOT, build);
  const binaries = BINARIES.map((b) => join(dir, b)).filter((b) => existsSync(b));
  if (binaries.length === 0) {
    t.skip(`no service binaries under ${dir} (set MESH_BUILD_DIR)`);
    return;
  }
  const installed = new Set(
    stages()
      .at(-1)
      .body.filter((i) => i.keyword === "RUN" && i.rest.includes("apt-get install"))
      .flatMap((i) => i.rest.split(/\s+/)),
  );
  const libraries = new Set();
  for (const binary of binaries) {
    for (const m of run("readelf", ["-d", binary]).matchAll(/Shared library: \[([^\]]+)\]/g)) libraries.add(m[1]);
  }
  assert.ok(libraries.size > 0, "readelf found no shared libraries");
  const cache = run("ldconfig", ["-p"]);
  const paths = new Map();
  for (const library of libraries) {
    const path = new RegExp(`^\\s*${library.replace(/[.+]/g, "\\$&")} \\(.*\\) => (\\S+)$`, "m").exec(cache)?.[1];
    if (path) paths.set(library, [path, path.replace(/^\/lib\//, "/usr/lib/")]);
  }
  // One dpkg call for all of them; it prints "package:arch: path" for each path it knows.
  const owners = new Map();
  const listing = spawnSync("dpkg", ["-S", ...[...paths.values()].flat()], { encoding: "utf8" }).stdout ?? "";
  for (const line of listing.split("\n")) {
    const m = /^([^:,\s]+)(?::[^:]+)?: (\S+)$/.exec(line);
    if (m) owners.set(m[2], m[1]);
  }
  const missing = [];
  for (const library of libraries) {
    const pkg = (paths.get(library) ?? []).map((p) => owners.get(p)).find(Boolean);
    if (!pkg) missing.push(`${library} (no package found)`);
    else if (!installed.has(pkg) && !BASE_PACKAGES.has(pkg)) missing.push(`${library} from ${pkg}`);
  }
  assert.deepEqual(missing, [], `the runtime stage lacks: ${missing.join(", ")}`);
});
