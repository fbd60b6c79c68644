#!/usr/bin/env node
// A proxyless gRPC client: resolves xds:///echo.pipeline.svc.cluster.local:7070 through the bridge,
// using the bootstrap in GRPC_XDS_BOOTSTRAP (write one with `xdsflare bootstrap --mode grpc`).
// Calls continuously and prints, every second, where the calls landed and how many failed.
import grpc from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';

const target = process.env.ECHO_TARGET ?? 'xds:///echo.pipeline.svc.cluster.local:7070';
const raw = (b) => b;
const Echo = grpc.makeGenericClientConstructor({ Who: { path: '/echo.Echo/Who', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } }, 'Echo');

register();
const client = new Echo(target, grpc.credentials.createInsecure());
let window = {};
const call = () =>
  new Promise((resolve) =>
    client.Who(Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, res) => {
      const key = err ? `error ${grpc.status[err.code] ?? err.code}` : res.toString();
      window[key] = (window[key] ?? 0) + 1;
      resolve();
    }),
  );
const loop = async () => {
  for (;;) {
    await call();
    await new Promise((r) => setTimeout(r, 5));
  }
};
loop();
setInterval(() => {
  console.log(JSON.stringify({ at: new Date().toISOString(), calls: window }));
  window = {};
}, 1000);
process.on('SIGTERM', () => process.exit(0));
