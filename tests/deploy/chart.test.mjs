// The Helm chart (charts/mesh) and the Istio configuration (mesh/istio/), validated offline:
// helm lint, helm template with the default and the production values, every object against the
// Kubernetes and Istio schemas, and the checks of lib/checks.mjs on what they render.
//
// Run: node --test tests/deploy/   (tools/mesh test runs it after the contract checks)

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { describe as suite, test } from "node:test";
import { parse } from "yaml";

import * as checks from "./lib/checks.mjs";
import { CHART, ISTIO_DIR, NAMESPACE, PRODUCTION_VALUES, PROTO_DIR, ROOT, helm, renderChart } from "./lib/helm.mjs";
import { parseManifests, readManifestDir, validateAgainstSchemas } from "./lib/manifests.mjs";
import { loadMethods } from "./lib/protos.mjs";

const methods = loadMethods(PROTO_DIR);
const istio = readManifestDir(ISTIO_DIR);

function noViolations(violations) {
  assert.deepEqual(violations, [], `\n  ${violations.join("\n  ")}`);
}

test("helm lint passes with the default values", () => {
  const { status, stdout, stderr } = helm(["lint", "--strict", CHART]);
  assert.equal(status, 0, stdout + stderr);
});

test("helm lint passes with the production values", () => {
  const { status, stdout, stderr } = helm(["lint", "--strict", CHART, "--values", PRODUCTION_VALUES]);
  assert.equal(status, 0, stdout + stderr);
});

test("the chart has no dependencies, so helm template needs no network", () => {
  const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8"));
  assert.equal(chart.dependencies, undefined);
  assert.equal(existsSync(join(CHART, "Chart.lock")), false);
});

test("every Istio file validates against the Istio schemas", async () => {
  assert.ok(istio.length > 0, "mesh/istio/ holds no objects");
  noViolations(await validateAgainstSchemas(istio));
});

for (const [label, valuesFiles] of [
  ["default values", []],
  ["production values", [PRODUCTION_VALUES]],
]) {
  suite(`helm template with the ${label}`, () => {
    const render = parseManifests(renderChart({ valuesFiles }), label);

    test("renders a StatefulSet per service and a three-server NATS cluster", () => {
      const sets = render.filter((o) => o.kind === "StatefulSet").map((o) => o.metadata.name).sort();
      assert.deepEqual(sets, ["billing", "consign", "dashboard", "nats", "notification", "purchase", "stock"]);
    });

    test("every rendered object validates against the Kubernetes schemas", async () => {
      noViolations(await validateAgainstSchemas(render));
    });

    test("every gRPC port is named grpc", () => noViolations(checks.checkGrpcPortsNamed(render)));
    test("every workload has a readiness and a liveness probe, gRPC health for gRPC services", () =>
      noViolations(checks.checkProbes(render)));
    test("every container has resource requests and limits", () => noViolations(checks.checkResources(render)));
    test("every outbound deadline is shorter than the VirtualService timeouts of its route", () =>
      noViolations(checks.checkDeadlines(render, istio, methods, NAMESPACE)));
    test("every service, ConfigMap, ServiceAccount and port the configuration names exists and is reachable", () =>
      noViolations(checks.checkReferences(render, istio, NAMESPACE)));
    test("mTLS is strict, JWTs are checked, and AuthorizationPolicies list exact method paths", () =>
      noViolations(checks.checkAuthorization(render, istio, methods)));
    test("DestinationRules pool connections, and the called service has outlier detection", () =>
      noViolations(checks.checkDestinationRules(render, istio, NAMESPACE)));
    test("terminationGracePeriodSeconds outlasts the drain", () => noViolations(checks.checkTermination(render)));
    test("pods run as non-root with a read-only root filesystem, RocksDB on claimed volumes", () =>
      noViolations(checks.checkSecurity(render)));
    test("NATS is a JetStream cluster of >= 2.10 that fsyncs, and streams get three replicas", () =>
      noViolations(checks.checkNats(render)));
  });
}

test("retries appear only on methods the protos make idempotent, and every route says whether it retries", () => {
  noViolations(checks.checkRetries(istio, methods));
});

test("the idempotency rule reads the protos as intended", () => {
  const idempotent = (path) => methods.get(path)?.idempotent;
  assert.equal(idempotent("/billing.v1.BillingService/Pay"), true, "Pay carries idempotency_key");
  assert.equal(idempotent("/usedcar.purchase.v1.PurchaseService/RequestPurchase"), true, "request_id is the idempotency key");
  assert.equal(idempotent("/usedcar.purchase.v1.PurchaseService/GetPurchase"), true, "Get only reads");
  assert.equal(idempotent("/usedcar.dashboard.v1.DashboardService/WatchPurchaseView"), true, "Watch only reads");
  assert.equal(idempotent("/usedcar.purchase.v1.PurchaseService/CancelPurchase"), false, "no key");
  assert.equal(idempotent("/usedcar.consign.v1.ConsignService/MarkConsigned"), false, "no key");
  assert.equal(idempotent("/usedcar.dashboard.v1.DashboardService/RebuildViews"), false, "no key");
  assert.equal(idempotent("/mesh.admin.v1.DeadLetterService/ReplayDeadLetter"), false, "no key");
  assert.equal(methods.get("/usedcar.dashboard.v1.DashboardService/WatchPurchaseView").serverStreaming, true);
});

test("the chart refuses to run a service that keeps RocksDB with more than one pod", () => {
  for (const set of [["services.dashboard.replicas=2"], ["services.billing.autoscaling.enabled=true"]]) {
    assert.throws(() => renderChart({ set }), /cannot scale out/);
  }
});

test("a service allowed to scale out gets a valid HorizontalPodAutoscaler on its StatefulSet", async () => {
  const render = parseManifests(
    renderChart({ set: ["services.notification.scaleOut=true", "services.notification.autoscaling.enabled=true"] }),
    "autoscaling",
  );
  const hpa = render.find((o) => o.kind === "HorizontalPodAutoscaler");
  assert.ok(hpa, "no HorizontalPodAutoscaler rendered");
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "notification" });
  const set = render.find((o) => o.kind === "StatefulSet" && o.metadata.name === "notification");
  assert.equal(set.spec.replicas, undefined, "the HPA, not the StatefulSet, owns the replica count");
  noViolations(await validateAgainstSchemas(render));
  noViolations(checks.checkReferences(render, istio, NAMESPACE));
});

const BINARIES = {
  BILLING: "services/billing/billing",
  PURCHASE: "services/usedcar/purchase/purchase",
  CONSIGN: "services/usedcar/consign/consign",
  STOCK: "services/usedcar/stock/stock",
  DASHBOARD: "services/usedcar/dashboard/dashboard",
  NOTIFICATION: "services/notification/notification",
};

test("every ConfigMap holds exactly the settings its binary reads", (t) => {
  const build = process.env.MESH_BUILD_DIR ?? "build";
  const dir = isAbsolute(build) ? build : join(ROOT, build);
  const envNames = new Map();
  for (const [prefix, binary] of Object.entries(BINARIES)) {
    const path = join(dir, binary);
    if (!existsSync(path)) continue;
    const { stdout, stderr } = spawnSync(path, ["--help"], { encoding: "utf8", env: { PATH: process.env.PATH } });
    const names = new Set([...`${stdout}${stderr}`.matchAll(/\(env ([A-Z0-9_]+)\)/g)].map((m) => m[1]));
    assert.ok(names.size > 0, `${binary} --help lists no environment variables`);
    envNames.set(prefix, names);
  }
  if (envNames.size === 0) {
    t.skip(`no service binaries under ${dir} (set MESH_BUILD_DIR)`);
    return;
  }
  assert.equal(envNames.size, Object.keys(BINARIES).length, `some binaries are missing under ${dir}`);
  for (const valuesFiles of [[], [PRODUCTION_VALUES]]) {
    noViolations(checks.checkConfigComplete(parseManifests(renderChart({ valuesFiles }), "config"), envNames));
  }
});
