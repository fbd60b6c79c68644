#!/usr/bin/env node
// Compiles Envoy's v3 protos (shipped in @grpc/grpc-js-xds's deps/) into one FileDescriptorSet,
// build/envoy-descriptors.binpb, used for strict proto3-JSON decoding in tests and for binary
// encoding in the bridge. Generated on demand, never committed: it is derived from Envoy's protos.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'envoy-descriptors.binpb');
const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const buf = join(root, 'node_modules', '.bin', 'buf');

// Protos that import packages grpc-js-xds does not ship (opencensus, opentelemetry, prometheus).
const SKIP = ['trace/v3/opencensus', 'trace/v3/trace.proto', 'open_telemetry/v3/logs_service', 'metrics/v3/metrics_service', 'service/trace/v3'];

// Up to date unless the protos or this script changed since it was built.
const built = existsSync(out) ? statSync(out).mtimeMs : 0;
if (built && !process.argv.includes('--force') && built > statSync(deps).mtimeMs && built > statSync(fileURLToPath(import.meta.url)).mtimeMs) process.exit(0);

// No Envoy v3 proto imports the TypedStructs, yet EnvoyFilters put them in typed_config (Istio's own
// samples do, e.g. samples/ratelimit/local-rate-limit-service.yaml): their Anys must decode.
const EXTRA = ['xds/udpa/type/v1/typed_struct.proto', 'xds/xds/type/v3/typed_struct.proto'];

function listProtos(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listProtos(path));
    else if (entry.name.endsWith('.proto')) found.push(path);
  }
  return found;
}

const work = mkdtempSync(join(tmpdir(), 'envoy-protos-'));
try {
  for (const mod of ['envoy-api', 'googleapis', 'xds']) symlinkSync(join(deps, mod), join(work, mod));
  // The validate.proto that grpc-js-xds ships predates StringRules.ignore_empty (field 26), which
  // Envoy's protos use; protobufjs ignores unknown options but a real compiler does not.
  mkdirSync(join(work, 'pgv', 'validate'), { recursive: true });
  const validate = readFileSync(join(deps, 'protoc-gen-validate', 'validate', 'validate.proto'), 'utf8');
  const patched = validate.replace(/^(\s*)optional bool strict = 25 \[default = true\];$/m, '$&\n$1optional bool ignore_empty = 26;');
  if (patched === validate && !/ignore_empty/.test(validate)) throw new Error('validate.proto changed shape; update scripts/build-envoy-descriptors.mjs');
  writeFileSync(join(work, 'pgv', 'validate', 'validate.proto'), patched);
  writeFileSync(join(work, 'buf.yaml'), 'version: v2\nmodules:\n  - path: envoy-api\n  - path: googleapis\n  - path: pgv\n  - path: xds\n');
  const paths = listProtos(join(deps, 'envoy-api', 'envoy'))
    .map((file) => relative(join(deps, 'envoy-api'), file))
    .filter((file) => file.includes('/v3/') && !SKIP.some((skip) => file.includes(skip)));
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(buf, ['build', '-o', out, ...paths.flatMap((p) => ['--path', join('envoy-api', p)]), ...EXTRA.flatMap((p) => ['--path', p])], { cwd: work, stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
