// Reads the gRPC methods of proto/ and decides which of them the mesh may retry.
//
// The rule (mesh/istio/README.md): a method is idempotent, and so may be retried, when
//   1. it only reads: its name starts with Get, List, Watch or Check (the read verbs of the
//      protos here and of grpc.health.v1), or
//   2. its request carries an idempotency key: a field named `idempotency_key`, or a field whose
//      leading comment calls it the idempotency key (RequestPurchaseRequest.request_id).
// Every other method (CancelPurchase, MarkConsigned, RebuildViews, ReplayDeadLetter, ...) is not.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const READ_VERBS = /^(Get|List|Watch|Check)[A-Z]?/;

function protoFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...protoFiles(path));
    else if (entry.endsWith(".proto")) files.push(path);
  }
  return files.sort();
}

// Returns the body between the brace that opens at `open` and its match, and the index after it.
function block(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return { body: text.slice(open + 1, i), end: i + 1 };
  }
  throw new Error("unbalanced braces");
}

// Removes nested message and enum blocks, so only a message's own fields remain.
function ownFields(body) {
  let out = "";
  let i = 0;
  const nested = /\b(message|enum)\s+\w+\s*\{/g;
  let m;
  while ((m = nested.exec(body)) !== null) {
    const { end } = block(body, body.indexOf("{", m.index));
    out += body.slice(i, m.index);
    i = end;
    nested.lastIndex = end;
  }
  return out + body.slice(i);
}

// Each field of a message body with the comment lines right above it.
function fields(body) {
  const result = [];
  let comment = [];
  for (const raw of ownFields(body).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("//")) {
      comment.push(line.replace(/^\/\/\s?/, ""));
      continue;
    }
    const field = /^(?:optional\s+|repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+/.exec(line);
    if (field) result.push({ name: field[1], comment: comment.join(" ") });
    if (line !== "") comment = [];
  }
  return result;
}

function carriesIdempotencyKey(message) {
  return (message?.fields ?? []).some(
    (f) => f.name === "idempotency_key" || /idempotency key/i.test(f.comment),
  );
}

// Every method of every service under `protoDir`, keyed by its HTTP/2 path
// ("/billing.v1.BillingService/Pay"), each with { service, method, request, clientStreaming,
// serverStreaming, reads, keyed, idempotent }.
export function loadMethods(protoDir) {
  const messages = new Map();
  const rpcs = [];
  for (const file of protoFiles(protoDir)) {
    const text = readFileSync(file, "utf8");
    const pkg = /^package\s+([\w.]+)\s*;/m.exec(text)?.[1] ?? "";
    const top = /^(message|service)\s+(\w+)\s*\{/gm;
    let m;
    while ((m = top.exec(text)) !== null) {
      const { body, end } = block(text, text.indexOf("{", m.index));
      top.lastIndex = end;
      const name = pkg ? `${pkg}.${m[2]}` : m[2];
      if (m[1] === "message") {
        messages.set(name, { fields: fields(body) });
        continue;
      }
      const rpc = /rpc\s+(\w+)\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)/g;
      let r;
      while ((r = rpc.exec(body)) !== null) {
        const request = r[3].includes(".") ? r[3] : `${pkg}.${r[3]}`;
        rpcs.push({
          path: `/${name}/${r[1]}`,
          service: name,
          method: r[1],
          request,
          clientStreaming: Boolean(r[2]),
          serverStreaming: Boolean(r[4]),
        });
      }
    }
  }
  const methods = new Map();
  for (const rpc of rpcs) {
    const reads = READ_VERBS.test(rpc.method);
    const keyed = carriesIdempotencyKey(messages.get(rpc.request));
    methods.set(rpc.path, { ...rpc, reads, keyed, idempotent: reads || keyed });
  }
  return methods;
}
