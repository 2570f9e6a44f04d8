// Checks on what the chart renders and on mesh/istio/. Each check takes the rendered objects
// (`render`), the Istio objects (`istio`) and the proto methods where it needs them, and returns
// a list of violations, one sentence each, naming the object at fault. An empty list passes.
//
// The services' settings are read from the ConfigMaps their pods load (envFrom), by the
// environment variable names the binaries read (<SERVICE>_<FLAG>):
//   <S>_PORT                      the gRPC port
//   <S>_<T>_TARGET                an outbound gRPC dependency, host:port
//   <S>_<T>_TIMEOUT               its deadline
//   <S>_<T>_MAX_IN_FLIGHT         its bulkhead
//   <S>_NATS_URL                  the broker
//   <S>_SHUTDOWN_GRACE, <S>_DRAIN_TIMEOUT, <S>_RELAY_FLUSH_TIMEOUT   the shutdown sequence
//   <S>_DATA_DIR                  the RocksDB directory

import { describe } from "./manifests.mjs";

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const POD_KINDS = new Set([...WORKLOAD_KINDS, "Job"]);

// Go duration strings as the services and Istio write them ("250ms", "2s", "1m30s", "0"), in ms.
export function parseDuration(text) {
  const s = String(text).trim();
  if (s === "0") return 0;
  const units = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, "µs": 1e-3, ns: 1e-6 };
  const part = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = part.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]];
    consumed = part.lastIndex;
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`not a duration: "${text}"`);
  return total;
}

function durationOr(violations, where, text) {
  try {
    return parseDuration(text);
  } catch (error) {
    violations.push(`${where}: ${error.message}`);
    return null;
  }
}

export function workloads(objects) {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
}

function podOwners(objects) {
  return objects.filter((o) => POD_KINDS.has(o.kind));
}

function podSpec(owner) {
  return owner.spec?.template?.spec ?? {};
}

function podLabels(owner) {
  return owner.spec?.template?.metadata?.labels ?? {};
}

function containers(owner) {
  return podSpec(owner).containers ?? [];
}

function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

function matches(selector, labels) {
  if (!selector) return false;
  if (selector.matchExpressions?.length) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function matchLabelsOf(selector) {
  return selector?.matchLabels ?? {};
}

// The environment a container gets from its ConfigMaps and env entries.
export function containerEnv(container, objects) {
  const env = {};
  for (const source of container.envFrom ?? []) {
    const map = source.configMapRef && find(objects, "ConfigMap", source.configMapRef.name);
    Object.assign(env, map?.data ?? {});
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
  }
  return env;
}

// The configured gRPC services: one entry per container whose environment has a <S>_PORT.
export function grpcContainers(objects) {
  const result = [];
  for (const owner of workloads(objects)) {
    for (const container of containers(owner)) {
      const env = containerEnv(container, objects);
      const key = Object.keys(env).find((k) => /^[A-Z0-9]+_PORT$/.test(k));
      if (!key) continue;
      const prefix = key.slice(0, -"_PORT".length);
      result.push({ owner, container, env, prefix, port: Number(env[key]) });
    }
  }
  return result;
}

function servicesSelecting(objects, owner) {
  return objects.filter(
    (o) => o.kind === "Service" && o.spec?.selector && matches(o.spec.selector, podLabels(owner)),
  );
}

// host[:port] of "billing:50051", "dns:///billing:50051" or "nats://nats:4222".
export function splitTarget(target) {
  const text = String(target).replace(/^dns:\/\/\/?/, "");
  const url = /^[a-z]+:\/\//.test(text) ? new URL(text) : new URL(`grpc://${text}`);
  return { host: url.hostname, port: url.port ? Number(url.port) : null };
}

// The Service a host name means in `namespace`: "billing", "billing.mesh",
// "billing.mesh.svc" or "billing.mesh.svc.cluster.local".
function serviceForHost(objects, host, namespace) {
  const parts = host.split(".");
  const name = parts[0];
  const ns = parts[1] ?? namespace;
  const rest = parts.slice(2).join(".");
  if (ns !== namespace || !["", "svc", "svc.cluster.local"].includes(rest)) return null;
  return find(objects, "Service", name) ?? null;
}

function targetsOf(entry) {
  const result = [];
  for (const [key, value] of Object.entries(entry.env)) {
    const m = /^(.+)_TARGET$/.exec(key);
    if (m && key.startsWith(`${entry.prefix}_`)) result.push({ key, base: m[1], value });
  }
  return result;
}

export function checkGrpcPortsNamed(render) {
  const violations = [];
  for (const { owner, container, port } of grpcContainers(render)) {
    const where = `${describe(owner)} container ${container.name}`;
    const named = (container.ports ?? []).find((p) => p.containerPort === port);
    if (!named) violations.push(`${where}: its gRPC port ${port} is not a container port`);
    else if (named.name !== "grpc") {
      violations.push(`${where}: gRPC port ${port} is named "${named.name}", not "grpc"`);
    }
    for (const service of servicesSelecting(render, owner)) {
      for (const sp of service.spec.ports ?? []) {
        const target = sp.targetPort ?? sp.port;
        const isGrpc = target === port || (named && target === named.name) || target === "grpc";
        if (isGrpc && sp.name !== "grpc") {
          violations.push(`${describe(service)}: port ${sp.port} leads to gRPC port ${port} but is named "${sp.name}", not "grpc"`);
        }
      }
    }
  }
  for (const service of render.filter((o) => o.kind === "Service")) {
    for (const sp of service.spec?.ports ?? []) {
      if (sp.appProtocol === "grpc" && sp.name !== "grpc") {
        violations.push(`${describe(service)}: port ${sp.port} speaks grpc but is named "${sp.name}"`);
      }
    }
  }
  return violations;
}

export function checkProbes(render) {
  const violations = [];
  for (const owner of workloads(render)) {
    for (const container of containers(owner)) {
      const where = `${describe(owner)} container ${container.name}`;
      const grpcPort = (container.ports ?? []).find((p) => p.name === "grpc");
      for (const probe of ["readinessProbe", "livenessProbe"]) {
        const spec = container[probe];
        if (!spec) {
          violations.push(`${where}: no ${probe}`);
          continue;
        }
        if (grpcPort && spec.grpc?.port !== grpcPort.containerPort) {
          violations.push(`${where}: ${probe} is not a gRPC health probe on port ${grpcPort.containerPort}`);
        }
      }
    }
  }
  return violations;
}

export function checkResources(render) {
  const violations = [];
  for (const owner of podOwners(render)) {
    for (const container of containers(owner)) {
      for (const kind of ["requests", "limits"]) {
        for (const resource of ["cpu", "memory"]) {
          if (container.resources?.[kind]?.[resource] === undefined) {
            violations.push(`${describe(owner)} container ${container.name}: no ${resource} in resources.${kind}`);
          }
        }
      }
    }
  }
  return violations;
}

function virtualServicesFor(istio, host, namespace) {
  return istio.filter(
    (o) =>
      o.kind === "VirtualService" &&
      (o.spec?.hosts ?? []).some((h) => h === host || h.startsWith(`${host}.${namespace}`)),
  );
}

function routePaths(route) {
  return (route.match ?? []).map((m) => m.uri?.exact).filter(Boolean);
}

function isStreamingRoute(route, methods) {
  const paths = routePaths(route);
  return paths.length > 0 && paths.every((p) => methods.get(p)?.serverStreaming || methods.get(p)?.clientStreaming);
}

// Health checking and reflection (grpc.*) are the platform's, not an API a service calls.
function isInfrastructureRoute(route) {
  const paths = routePaths(route);
  return paths.length > 0 && paths.every((p) => p.startsWith("/grpc."));
}

// The method paths AuthorizationPolicies let `principal` call on `owner`'s pods; null when no
// policy names paths for it (then every route counts).
function pathsAllowed(istio, owner, principal) {
  const paths = new Set();
  for (const ap of istio.filter((o) => o.kind === "AuthorizationPolicy" && (o.spec?.action ?? "ALLOW") === "ALLOW")) {
    if (!ap.spec?.selector || !matches(matchLabelsOf(ap.spec.selector), podLabels(owner))) continue;
    for (const rule of ap.spec.rules ?? []) {
      if (!(rule.from ?? []).some((f) => (f.source?.principals ?? []).includes(principal))) continue;
      for (const to of rule.to ?? []) for (const path of to.operation?.paths ?? []) paths.add(path);
    }
  }
  return paths.size > 0 ? paths : null;
}

// Every outbound deadline (<S>_<T>_TIMEOUT) is shorter than the VirtualService timeout of the
// routes the caller uses on its target (the paths its AuthorizationPolicy lets it call, or every
// unary route when none names them), so the caller's own deadline fires first and it sees
// DEADLINE_EXCEEDED (outcome unknown) rather than the mesh's UNAVAILABLE (which claims the target
// did nothing). The caller's own unary routes must outlast the deadline too, or its clients are
// cut off while it still waits for the target. Streams and grpc.* routes are exempt.
export function checkDeadlines(render, istio, methods, namespace) {
  const violations = [];
  for (const entry of grpcContainers(render)) {
    for (const target of targetsOf(entry)) {
      const where = `${describe(entry.owner)}: ${target.key}=${target.value}`;
      const timeoutKey = `${target.base}_TIMEOUT`;
      if (entry.env[timeoutKey] === undefined) {
        violations.push(`${where} has no deadline (${timeoutKey})`);
        continue;
      }
      const deadline = durationOr(violations, `${describe(entry.owner)} ${timeoutKey}`, entry.env[timeoutKey]);
      if (deadline === null) continue;
      const { host } = splitTarget(target.value);
      const targetService = serviceForHost(render, host, namespace);
      const targetOwner = targetService && workloads(render).find((w) => matches(targetService.spec.selector, podLabels(w)));
      const used = targetOwner ? pathsAllowed(istio, targetOwner, principalOf(entry.owner, namespace)) : null;
      const callers = servicesSelecting(render, entry.owner).map((s) => s.metadata.name);
      const scopes = [
        { host, what: "target" },
        ...callers.map((name) => ({ host: name, what: "caller" })),
      ];
      for (const scope of scopes) {
        const vss = virtualServicesFor(istio, scope.host, namespace);
        if (vss.length === 0) {
          violations.push(`${where}: no VirtualService for the ${scope.what} ${scope.host}`);
          continue;
        }
        for (const vs of vss) {
          for (const route of vs.spec.http ?? []) {
            if (isStreamingRoute(route, methods) || isInfrastructureRoute(route)) continue;
            if (scope.what === "target" && used && !routePaths(route).some((p) => used.has(p))) continue;
            const name = `${describe(vs)} route ${route.name ?? routePaths(route).join(",")}`;
            if (route.timeout === undefined) {
              violations.push(`${name}: no timeout, while ${timeoutKey} is ${entry.env[timeoutKey]}`);
              continue;
            }
            const timeout = durationOr(violations, name, route.timeout);
            if (timeout !== null && (timeout === 0 || timeout <= deadline)) {
              violations.push(`${name}: timeout ${route.timeout} is not longer than ${timeoutKey}=${entry.env[timeoutKey]}`);
            }
            const perTry = route.retries?.perTryTimeout;
            if (scope.what === "target" && perTry !== undefined) {
              const t = durationOr(violations, name, perTry);
              if (t !== null && t <= deadline) {
                violations.push(`${name}: perTryTimeout ${perTry} is not longer than ${timeoutKey}=${entry.env[timeoutKey]}`);
              }
            }
          }
        }
      }
    }
  }
  return violations;
}

// Routes name exact method paths, say explicitly whether they retry (an absent `retries` means
// Istio's default policy, which retries UNAVAILABLE), and retry only idempotent methods. A
// VirtualService routes every method of each API it routes: a method left out would match no
// route, and the mesh would answer it UNIMPLEMENTED.
export function checkRetries(istio, methods) {
  const violations = [];
  for (const vs of istio.filter((o) => o.kind === "VirtualService")) {
    const apis = new Set();
    const routed = new Set();
    for (const [index, route] of (vs.spec?.http ?? []).entries()) {
      const name = `${describe(vs)} route ${route.name ?? index}`;
      const paths = routePaths(route);
      const inexact = (route.match ?? []).length === 0 || (route.match ?? []).some((m) => !m.uri?.exact);
      if (inexact) violations.push(`${name}: matches something other than exact method paths`);
      for (const path of paths) {
        const method = methods.get(path);
        if (!method) {
          violations.push(`${name}: ${path} is no method in proto/`);
          continue;
        }
        apis.add(method.service);
        routed.add(path);
      }
      if (route.retries === undefined) {
        violations.push(`${name}: sets no retries, so Istio's default policy retries it`);
        continue;
      }
      const attempts = route.retries.attempts ?? 1;
      if (attempts > 0) {
        for (const path of paths) {
          const method = methods.get(path);
          if (method && !method.idempotent) {
            violations.push(`${name}: retries ${path} (${attempts} attempts), which is not idempotent: its name is no read verb and its request carries no idempotency key`);
          }
        }
      }
    }
    for (const [path, method] of methods) {
      if (apis.has(method.service) && !routed.has(path) && !method.service.startsWith("grpc.")) {
        violations.push(`${describe(vs)}: routes ${method.service} but not ${path}`);
      }
    }
  }
  return violations;
}

function principalOf(owner, namespace) {
  return `cluster.local/ns/${namespace}/sa/${podSpec(owner).serviceAccountName ?? "default"}`;
}

function allowedBy(istio, targetOwner, { principal, path, port }) {
  return istio.some(
    (ap) =>
      ap.kind === "AuthorizationPolicy" &&
      (ap.spec?.action ?? "ALLOW") === "ALLOW" &&
      ap.spec?.selector &&
      matches(matchLabelsOf(ap.spec.selector), podLabels(targetOwner)) &&
      (ap.spec.rules ?? []).some(
        (rule) =>
          (rule.from ?? []).some((f) => (f.source?.principals ?? []).some((p) => p === principal || p === "*")) &&
          (rule.to ?? []).some(
            (t) =>
              (path === undefined || (t.operation?.paths ?? []).includes(path)) &&
              (port === undefined || (t.operation?.ports ?? []).includes(String(port))),
          ),
      ),
  );
}

// A NetworkPolicy evaluator for the shapes the chart writes: matchLabels pod selectors, peers
// by podSelector (same namespace) or namespaceSelector, numeric ports.
function networkAllows(render, direction, subject, peer, port) {
  const types = direction === "egress" ? "Egress" : "Ingress";
  const policies = render.filter(
    (np) =>
      np.kind === "NetworkPolicy" &&
      matches(matchLabelsOf(np.spec?.podSelector), podLabels(subject)) &&
      (np.spec?.policyTypes ?? ["Ingress"]).includes(types),
  );
  if (policies.length === 0) return true;
  return policies.some((np) =>
    (np.spec[direction] ?? []).some((rule) => {
      const portOk = !rule.ports || rule.ports.some((p) => p.port === undefined || p.port === port);
      const peers = rule[direction === "egress" ? "to" : "from"];
      const peerOk =
        !peers ||
        peers.some((p) => p.podSelector && !p.namespaceSelector && matches(matchLabelsOf(p.podSelector), podLabels(peer)));
      return portOk && peerOk;
    }),
  );
}

// Everything the configuration names exists: the targets and the broker are Services of the
// render with those ports, ConfigMaps and ServiceAccounts exist, the Istio objects name existing
// Services, ports and ServiceAccounts, and the NetworkPolicies and AuthorizationPolicies let each
// caller reach what it calls.
export function checkReferences(render, istio, namespace) {
  const violations = [];
  const podsBehind = (service) => workloads(render).filter((w) => matches(service.spec?.selector, podLabels(w)));

  const edges = [];
  for (const entry of grpcContainers(render)) {
    const where = describe(entry.owner);
    for (const [key, value] of Object.entries(entry.env)) {
      const isTarget = /_TARGET$/.test(key);
      const isNats = /_NATS_URL$/.test(key);
      if (!isTarget && !isNats) continue;
      const { host, port } = splitTarget(value);
      const service = serviceForHost(render, host, namespace);
      if (!service) {
        violations.push(`${where}: ${key}=${value} names host ${host}, which is no Service of the release in ${namespace}`);
        continue;
      }
      const servicePort = (service.spec.ports ?? []).find((p) => p.port === port);
      if (!servicePort) {
        violations.push(`${where}: ${key}=${value}, but ${describe(service)} has no port ${port}`);
        continue;
      }
      if (isTarget && servicePort.name !== "grpc") {
        violations.push(`${where}: ${key}=${value} is ${describe(service)} port "${servicePort.name}", not its grpc port`);
      }
      const targets = podsBehind(service);
      if (targets.length === 0) violations.push(`${where}: ${key}=${value}: ${describe(service)} selects no workload`);
      for (const target of targets) {
        const targetPort = typeof servicePort.targetPort === "number"
          ? servicePort.targetPort
          : containers(target).flatMap((c) => c.ports ?? []).find((p) => p.name === (servicePort.targetPort ?? servicePort.name))?.containerPort ?? port;
        edges.push({ key, value, caller: entry.owner, target, port: targetPort, nats: isNats });
      }
    }
  }

  for (const { key, value, caller, target, port } of edges) {
    const what = `${describe(caller)} -> ${describe(target)} port ${port} (${key}=${value})`;
    if (!networkAllows(render, "egress", caller, target, port)) violations.push(`${what}: no NetworkPolicy lets the caller out`);
    if (!networkAllows(render, "ingress", target, caller, port)) violations.push(`${what}: no NetworkPolicy lets the caller in`);
    if (istio.length > 0) {
      const principal = principalOf(caller, namespace);
      const allowed = key.endsWith("_NATS_URL")
        ? allowedBy(istio, target, { principal, port })
        : allowedBy(istio, target, { principal });
      if (!allowed) violations.push(`${what}: no AuthorizationPolicy allows ${principal}`);
    }
  }

  for (const owner of podOwners(render)) {
    const spec = podSpec(owner);
    const sa = spec.serviceAccountName;
    if (sa && !find(render, "ServiceAccount", sa)) violations.push(`${describe(owner)}: ServiceAccount ${sa} does not exist`);
    for (const container of containers(owner)) {
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !find(render, "ConfigMap", source.configMapRef.name)) {
          violations.push(`${describe(owner)}: ConfigMap ${source.configMapRef.name} does not exist`);
        }
      }
    }
    for (const volume of spec.volumes ?? []) {
      if (volume.configMap && !find(render, "ConfigMap", volume.configMap.name)) {
        violations.push(`${describe(owner)}: volume ${volume.name} names ConfigMap ${volume.configMap.name}, which does not exist`);
      }
    }
    if (owner.kind === "StatefulSet" && !find(render, "Service", owner.spec.serviceName)) {
      violations.push(`${describe(owner)}: serviceName ${owner.spec.serviceName} is no Service`);
    }
  }
  for (const service of render.filter((o) => o.kind === "Service")) {
    if (podsBehind(service).length === 0) violations.push(`${describe(service)}: selects no workload`);
  }
  for (const owner of workloads(render)) {
    const pdb = render.find((o) => o.kind === "PodDisruptionBudget" && matches(matchLabelsOf(o.spec?.selector), podLabels(owner)));
    if (!pdb) violations.push(`${describe(owner)}: no PodDisruptionBudget`);
  }
  for (const hpa of render.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const ref = hpa.spec.scaleTargetRef;
    if (!find(render, ref.kind, ref.name)) violations.push(`${describe(hpa)}: scales ${ref.kind} ${ref.name}, which does not exist`);
  }

  for (const object of istio) {
    if (object.metadata?.namespace !== namespace) {
      violations.push(`${describe(object)} (${object.__file}): is not in namespace ${namespace}`);
    }
    if (object.kind === "DestinationRule" && !serviceForHost(render, object.spec.host, namespace)) {
      violations.push(`${describe(object)}: host ${object.spec.host} is no Service`);
    }
    if (object.kind === "VirtualService") {
      for (const host of object.spec.hosts ?? []) {
        if (!serviceForHost(render, host, namespace)) violations.push(`${describe(object)}: host ${host} is no Service`);
      }
      for (const route of object.spec.http ?? []) {
        for (const { destination } of route.route ?? []) {
          const service = serviceForHost(render, destination.host, namespace);
          if (!service) violations.push(`${describe(object)} route ${route.name}: destination ${destination.host} is no Service`);
          else if (destination.port && !(service.spec.ports ?? []).some((p) => p.port === destination.port.number)) {
            violations.push(`${describe(object)} route ${route.name}: ${describe(service)} has no port ${destination.port.number}`);
          }
        }
      }
    }
    if (object.kind === "AuthorizationPolicy") {
      if (object.spec?.selector && !workloads(render).some((w) => matches(matchLabelsOf(object.spec.selector), podLabels(w)))) {
        violations.push(`${describe(object)}: selects no workload`);
      }
      for (const rule of object.spec?.rules ?? []) {
        for (const f of rule.from ?? []) {
          for (const principal of f.source?.principals ?? []) {
            const m = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
            if (!m || m[1] !== namespace || !find(render, "ServiceAccount", m[2])) {
              violations.push(`${describe(object)}: principal ${principal} is no ServiceAccount of the release`);
            }
          }
        }
      }
    }
  }
  return violations;
}

// Istio's identity and access rules: mTLS STRICT for the namespace, JWT rules for end users, every
// workload behind an ALLOW policy, and every path of a policy an exact method of proto/.
export function checkAuthorization(render, istio, methods) {
  const violations = [];
  const peer = istio.find((o) => o.kind === "PeerAuthentication" && !o.spec?.selector);
  if (!peer || peer.spec?.mtls?.mode !== "STRICT") violations.push("no namespace-wide PeerAuthentication with mtls.mode STRICT");
  const jwt = istio.find((o) => o.kind === "RequestAuthentication");
  if (!jwt || !(jwt.spec?.jwtRules ?? []).every((r) => r.issuer && (r.jwksUri || r.jwks)) || !(jwt.spec?.jwtRules ?? []).length) {
    violations.push("no RequestAuthentication with jwtRules that name an issuer and its keys");
  }
  for (const owner of workloads(render)) {
    const allowed = istio.some(
      (ap) => ap.kind === "AuthorizationPolicy" && (ap.spec?.action ?? "ALLOW") === "ALLOW" && ap.spec?.selector &&
        matches(matchLabelsOf(ap.spec.selector), podLabels(owner)) && (ap.spec.rules ?? []).length > 0,
    );
    if (!allowed) violations.push(`${describe(owner)}: no AuthorizationPolicy allows anything to it`);
  }
  for (const ap of istio.filter((o) => o.kind === "AuthorizationPolicy")) {
    for (const rule of ap.spec?.rules ?? []) {
      for (const to of rule.to ?? []) {
        const op = to.operation ?? {};
        for (const key of ["notPaths", "methods", "notMethods"]) {
          if (op[key]) violations.push(`${describe(ap)}: uses operation.${key}; list exact method paths instead`);
        }
        for (const path of op.paths ?? []) {
          if (!methods.has(path)) violations.push(`${describe(ap)}: path ${path} is no exact method path of proto/`);
        }
      }
    }
  }
  return violations;
}

// Connection pools for every gRPC Service; outlier detection for every target a service calls
// synchronously, with room for the caller's whole bulkhead.
export function checkDestinationRules(render, istio, namespace) {
  const violations = [];
  const ruleFor = (name) => istio.find((o) => o.kind === "DestinationRule" && serviceForHost(render, o.spec.host, namespace)?.metadata.name === name);
  for (const service of render.filter((o) => o.kind === "Service" && (o.spec.ports ?? []).some((p) => p.name === "grpc"))) {
    const rule = ruleFor(service.metadata.name);
    if (!rule) violations.push(`${describe(service)}: no DestinationRule`);
    else if (!rule.spec.trafficPolicy?.connectionPool) violations.push(`${describe(rule)}: no connectionPool`);
  }
  for (const entry of grpcContainers(render)) {
    for (const target of targetsOf(entry)) {
      const service = serviceForHost(render, splitTarget(target.value).host, namespace);
      if (!service) continue;
      const rule = ruleFor(service.metadata.name);
      if (!rule) continue;
      if (!rule.spec.trafficPolicy?.outlierDetection) {
        violations.push(`${describe(rule)}: no outlierDetection, though ${describe(entry.owner)} calls it (${target.key})`);
      }
      const bulkhead = Number(entry.env[`${target.base}_MAX_IN_FLIGHT`]);
      const pool = rule.spec.trafficPolicy?.connectionPool?.http?.http2MaxRequests;
      if (bulkhead && (pool === undefined || pool < bulkhead)) {
        violations.push(`${describe(rule)}: http2MaxRequests ${pool} is below ${target.base}_MAX_IN_FLIGHT=${bulkhead}`);
      }
    }
  }
  return violations;
}

// The pods wait for their work to finish before the kubelet kills them.
export function checkTermination(render) {
  const violations = [];
  for (const entry of grpcContainers(render)) {
    const where = describe(entry.owner);
    const keys = ["SHUTDOWN_GRACE", "DRAIN_TIMEOUT", "RELAY_FLUSH_TIMEOUT"].map((k) => `${entry.prefix}_${k}`);
    const missing = keys.filter((k) => entry.env[k] === undefined);
    if (missing.length > 0) {
      violations.push(`${where}: ${missing.join(", ")} not configured`);
      continue;
    }
    const parts = keys.map((k) => durationOr(violations, `${where} ${k}`, entry.env[k]));
    if (parts.includes(null)) continue;
    const shutdown = parts.reduce((a, b) => a + b, 0);
    const grace = (podSpec(entry.owner).terminationGracePeriodSeconds ?? 30) * 1000;
    if (grace <= shutdown) {
      violations.push(`${where}: terminationGracePeriodSeconds ${grace / 1000} is not longer than ${keys.join(" + ")} = ${shutdown / 1000}s`);
    }
    const proxy = entry.owner.spec.template.metadata?.annotations?.["proxy.istio.io/config"];
    if (proxy) {
      const drain = JSON.parse(proxy).terminationDrainDuration;
      const ms = drain === undefined ? 5000 : durationOr(violations, where, drain);
      if (ms !== null && (ms <= shutdown || ms >= grace)) {
        violations.push(`${where}: the sidecar's terminationDrainDuration ${drain} must lie between the shutdown (${shutdown / 1000}s) and terminationGracePeriodSeconds (${grace / 1000}s)`);
      }
    }
    const live = entry.container.livenessProbe;
    if (live && (live.periodSeconds ?? 10) * (live.failureThreshold ?? 3) * 1000 <= shutdown) {
      violations.push(`${where}: the liveness probe gives up within a shutdown (${shutdown / 1000}s), while the service answers NOT_SERVING`);
    }
  }
  return violations;
}

// Non-root, read-only root filesystem, /tmp an emptyDir; RocksDB on a claimed volume of a
// StatefulSet.
export function checkSecurity(render) {
  const violations = [];
  for (const owner of podOwners(render)) {
    const spec = podSpec(owner);
    const where = describe(owner);
    for (const container of containers(owner)) {
      const sc = container.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
      const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
      if (nonRoot !== true || user === 0) violations.push(`${where} container ${container.name}: may run as root`);
      if (sc.readOnlyRootFilesystem !== true) violations.push(`${where} container ${container.name}: root filesystem is writable`);
      if (sc.allowPrivilegeEscalation !== false) violations.push(`${where} container ${container.name}: allows privilege escalation`);
      const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
      const tmpVolume = tmp && (spec.volumes ?? []).find((v) => v.name === tmp.name);
      if (!tmpVolume?.emptyDir) violations.push(`${where} container ${container.name}: /tmp is not an emptyDir`);
    }
  }
  for (const entry of grpcContainers(render)) {
    const where = describe(entry.owner);
    const dataDir = entry.env[`${entry.prefix}_DATA_DIR`];
    if (dataDir === undefined) continue;
    if (entry.owner.kind !== "StatefulSet") {
      violations.push(`${where}: keeps RocksDB (${entry.prefix}_DATA_DIR) but is no StatefulSet`);
      continue;
    }
    const claims = new Set((entry.owner.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name));
    const mount = (entry.container.volumeMounts ?? []).find(
      (m) => claims.has(m.name) && (dataDir === m.mountPath || dataDir.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)),
    );
    if (!mount) violations.push(`${where}: ${entry.prefix}_DATA_DIR=${dataDir} is not on a volume of its volumeClaimTemplates`);
  }
  return violations;
}

function versionAtLeast(version, minimum) {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i];
  }
  return true;
}

// The broker: nats-server >= 2.10 in three or more replicas, fsync on every write, its file store
// on claimed volumes, streams created with three replicas.
export function checkNats(render) {
  const violations = [];
  const nats = workloads(render).filter((w) => containers(w).some((c) => /(^|\/)nats:/.test(c.image ?? "")));
  if (nats.length === 0) return ["no nats-server workload"];
  for (const owner of nats) {
    const where = describe(owner);
    const container = containers(owner).find((c) => /(^|\/)nats:/.test(c.image));
    const version = /:(\d+\.\d+(?:\.\d+)?)/.exec(container.image)?.[1];
    if (!version || !versionAtLeast(version, "2.10")) violations.push(`${where}: image ${container.image} is not a pinned nats-server >= 2.10`);
    if (owner.kind !== "StatefulSet" || (owner.spec.replicas ?? 1) < 3) violations.push(`${where}: not a StatefulSet of at least 3 servers`);
    const configMap = (podSpec(owner).volumes ?? []).map((v) => v.configMap && find(render, "ConfigMap", v.configMap.name)).find(Boolean);
    const conf = Object.values(configMap?.data ?? {}).find((text) => /jetstream\s*\{/.test(text)) ?? "";
    if (!/^\s*sync_interval:\s*always\s*$/m.test(conf)) violations.push(`${where}: JetStream does not fsync every write (sync_interval: always)`);
    const storeDir = /^\s*store_dir:\s*(\S+)/m.exec(conf)?.[1];
    const claims = new Set((owner.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name));
    const onClaim = (container.volumeMounts ?? []).some((m) => claims.has(m.name) && storeDir?.startsWith(m.mountPath));
    if (!onClaim) violations.push(`${where}: the JetStream store_dir ${storeDir} is not on a claimed volume`);
    const lameDuck = /^\s*lame_duck_duration:\s*(\S+)/m.exec(conf)?.[1];
    const lameGrace = /^\s*lame_duck_grace_period:\s*(\S+)/m.exec(conf)?.[1];
    if (lameDuck && lameGrace) {
      const total = parseDuration(lameDuck) + parseDuration(lameGrace);
      if ((podSpec(owner).terminationGracePeriodSeconds ?? 30) * 1000 <= total) {
        violations.push(`${where}: terminationGracePeriodSeconds is not longer than the lame-duck shutdown`);
      }
    }
  }
  const streams = render.filter((o) => o.kind === "ConfigMap").flatMap((cm) =>
    Object.entries(cm.data ?? {}).filter(([k]) => k.endsWith(".json")).map(([k, v]) => ({ cm, k, v: JSON.parse(v) })),
  );
  if (streams.length === 0) violations.push("no stream definitions with replicas");
  for (const { cm, k, v } of streams) {
    if (!(v.num_replicas >= 3)) violations.push(`${describe(cm)} ${k}: num_replicas ${v.num_replicas} is below 3`);
    if (v.storage !== "file") violations.push(`${describe(cm)} ${k}: storage ${v.storage} is not file`);
  }
  return violations;
}

// Every setting of the ConfigMap is one the binary reads, and the binary reads nothing the
// ConfigMap leaves out. `envNames` maps a prefix (BILLING) to the variables its --help lists.
export function checkConfigComplete(render, envNames) {
  const violations = [];
  for (const entry of grpcContainers(render)) {
    const known = envNames.get(entry.prefix);
    if (!known) continue;
    const keys = Object.keys(entry.env).filter((k) => k.startsWith(`${entry.prefix}_`));
    for (const key of keys) {
      if (!known.has(key)) violations.push(`${describe(entry.owner)}: ${key} is no setting of the ${entry.prefix.toLowerCase()} binary`);
    }
    for (const name of known) {
      if (!keys.includes(name)) violations.push(`${describe(entry.owner)}: ${name} is missing from its ConfigMap`);
    }
  }
  return violations;
}
