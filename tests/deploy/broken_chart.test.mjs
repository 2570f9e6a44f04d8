// A broken chart or mesh configuration fails the checks. Each test breaks one thing, in a copy of
// charts/mesh or mesh/istio/ in a temporary directory or through --set, and asserts that the
// check for it names the fault; the unbroken copy passes the same check.

import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import * as checks from "./lib/checks.mjs";
import { CHART, ISTIO_DIR, NAMESPACE, PROTO_DIR, renderChart } from "./lib/helm.mjs";
import { parseManifests, readManifestDir } from "./lib/manifests.mjs";
import { loadMethods } from "./lib/protos.mjs";

const methods = loadMethods(PROTO_DIR);
const istio = readManifestDir(ISTIO_DIR);
const scratch = mkdtempSync(join(tmpdir(), "mesh-broken-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Copies `dir` into the scratch directory, replaces `from` by `to` in `file` (which must
// contain it), and returns the copy's path.
function brokenCopy(dir, name, file, from, to) {
  const copy = join(scratch, name);
  cpSync(dir, copy, { recursive: true });
  const path = join(copy, file);
  const text = readFileSync(path, "utf8");
  const edited = text.replace(from, to);
  assert.notEqual(edited, text, `${file} no longer contains ${from}; update this test`);
  writeFileSync(path, edited);
  return copy;
}

let unbroken;
function render(options) {
  if (Object.keys(options).length > 0) return parseManifests(renderChart(options), "broken");
  unbroken ??= parseManifests(renderChart(), "unbroken");
  return unbroken;
}

function assertViolation(violations, pattern) {
  assert.ok(
    violations.some((v) => pattern.test(v)),
    `expected a violation matching ${pattern}, got:\n  ${violations.join("\n  ") || "(none)"}`,
  );
}

test("a workload without a liveness probe fails the probe check", () => {
  assert.deepEqual(checks.checkProbes(render({})), []);
  const chart = brokenCopy(CHART, "no-liveness", "templates/_service.tpl", /\n {10}livenessProbe:\n(?: {12}.*\n)+/, "\n");
  const violations = checks.checkProbes(render({ chart }));
  for (const name of ["billing", "purchase", "consign", "stock", "dashboard", "notification"]) {
    assertViolation(violations, new RegExp(`StatefulSet ${name} container ${name}: no livenessProbe`));
  }
});

test("a gRPC port named otherwise fails the port-name check", () => {
  assert.deepEqual(checks.checkGrpcPortsNamed(render({})), []);
  const chart = brokenCopy(CHART, "port-name", "templates/_service.tpl", "- name: grpc\n              containerPort", "- name: api\n              containerPort");
  assertViolation(checks.checkGrpcPortsNamed(render({ chart })), /StatefulSet billing container billing: gRPC port 50051 is named "api"/);
});

test("a retried method without an idempotency key fails the retry check", () => {
  assert.deepEqual(checks.checkRetries(istio, methods), []);
  const dir = brokenCopy(
    ISTIO_DIR,
    "retried-cancel",
    "purchase.yaml",
    /(exact: \/usedcar\.purchase\.v1\.PurchaseService\/CancelPurchase[\s\S]*?retries:\n\s+)attempts: 0/,
    "$1attempts: 3\n        retryOn: unavailable",
  );
  assertViolation(
    checks.checkRetries(readManifestDir(dir), methods),
    /retries \/usedcar\.purchase\.v1\.PurchaseService\/CancelPurchase \(3 attempts\), which is not idempotent/,
  );
});

test("a route without a retries field fails the retry check, since Istio would retry it by default", () => {
  const dir = brokenCopy(ISTIO_DIR, "default-retries", "consign.yaml", /\n\s+# No idempotency key[^\n]*\n\s+retries:\n\s+attempts: 0/, "");
  assertViolation(checks.checkRetries(readManifestDir(dir), methods), /route mark-consigned: sets no retries/);
});

test("a mesh timeout shorter than the caller's deadline fails the deadline check", () => {
  const dir = brokenCopy(ISTIO_DIR, "short-timeout", "billing.yaml", /(exact: \/billing\.v1\.BillingService\/Pay[\s\S]*?)timeout: 3s/, "$1timeout: 1500ms");
  const violations = checks.checkDeadlines(render({}), readManifestDir(dir), methods, NAMESPACE);
  assertViolation(violations, /VirtualService mesh\/billing route pay: timeout 1500ms is not longer than PURCHASE_BILLING_TIMEOUT=2s/);
});

test("a deadline raised above the mesh timeout fails the deadline check", () => {
  const violations = checks.checkDeadlines(render({ set: ["services.purchase.config.billing_timeout=5s"] }), istio, methods, NAMESPACE);
  assertViolation(violations, /route pay: timeout 3s is not longer than PURCHASE_BILLING_TIMEOUT=5s/);
});

test("a billing target that names no Service fails the reference check", () => {
  const violations = checks.checkReferences(render({ set: ["services.purchase.config.billing_target=payments:50051"] }), istio, NAMESPACE);
  assertViolation(violations, /PURCHASE_BILLING_TARGET=payments:50051 names host payments, which is no Service/);
});

test("a NATS URL on a port the broker does not serve fails the reference check", () => {
  const violations = checks.checkReferences(render({ set: ["global.natsUrl=nats://nats:4223"] }), istio, NAMESPACE);
  assertViolation(violations, /BILLING_NATS_URL=nats:\/\/nats:4223, but Service nats has no port 4223/);
});

test("a call the NetworkPolicies do not open fails the reference check", () => {
  assert.deepEqual(checks.checkReferences(render({}), istio, NAMESPACE), []);
  const violations = checks.checkReferences(render({ setJson: ["services.purchase.calls=[]"] }), istio, NAMESPACE);
  assertViolation(violations, /StatefulSet purchase -> StatefulSet billing port 50051 .*: no NetworkPolicy lets the caller out/);
  assertViolation(violations, /StatefulSet purchase -> StatefulSet billing port 50051 .*: no NetworkPolicy lets the caller in/);
});

test("a grace period shorter than the drain fails the termination check", () => {
  const violations = checks.checkTermination(render({ set: ["services.billing.terminationGracePeriodSeconds=20"] }));
  assertViolation(violations, /StatefulSet billing: terminationGracePeriodSeconds 20 is not longer than .* = 25s/);
});

test("JetStream without an fsync on every write fails the NATS check", () => {
  assert.deepEqual(checks.checkNats(render({})), []);
  assertViolation(checks.checkNats(render({ set: ["nats.syncInterval=2m"] })), /does not fsync every write/);
  assertViolation(checks.checkNats(render({ set: ["streams.replicas=1"] })), /num_replicas 1 is below 3/);
});

test("an authorization path that is no method fails the authorization check", () => {
  const dir = brokenCopy(ISTIO_DIR, "wildcard-path", "stock.yaml", "- /usedcar.stock.v1.StockService/GetStock\n", "- /usedcar.stock.v1.StockService/*\n");
  assertViolation(checks.checkAuthorization(render({}), readManifestDir(dir), methods), /path \/usedcar\.stock\.v1\.StockService\/\* is no exact method path/);
});
