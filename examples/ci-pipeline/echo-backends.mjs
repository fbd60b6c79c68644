#!/usr/bin/env node
// Three gRPC backends on 127.0.0.1 that answer their own name (v1, v2, v3): the versions the
// pipeline rolls between. Ports ECHO_PORT_BASE+1..3 (default 17071-17073), as mesh.yaml says.
import grpc from '@grpc/grpc-js';

const base = Number(process.env.ECHO_PORT_BASE ?? 17070);
const raw = (b) => b;
const WHO = { Who: { path: '/echo.Echo/Who', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } };

for (const [i, name] of ['v1', 'v2', 'v3'].entries()) {
  const server = new grpc.Server();
  server.addService(WHO, { Who: (_call, callback) => callback(null, Buffer.from(name)) });
  const port = await new Promise((resolve, reject) => server.bindAsync(`127.0.0.1:${base + i + 1}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  console.log(JSON.stringify({ backend: name, address: `127.0.0.1:${port}` }));
}
