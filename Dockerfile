# syntax=docker/dockerfile:1
# The xdsflare bridge: serves the edge's config over gRPC ADS to in-cluster Envoys and proxyless gRPC
# clients. Build from the repository root:  docker build -t xdsflare-bridge:0.1.0 .
#
# Base image, both stages: node:24.21-trixie-slim, the official Node.js image — Node 24 LTS pinned to the
# minor release this repo develops on (package.json's `node` devDependency; bump them together), on
# Debian 13 "trixie" (bookworm left Debian's regular security support in June 2026). Slim: glibc is
# needed in the build stage (buf, esbuild and workerd ship glibc binaries), not the full toolchain.

FROM node:24.21-trixie-slim AS build
WORKDIR /src
# Dependencies first, so an edit to the sources does not redo `npm ci`.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# build/envoy-descriptors.binpb: Envoy's protos, for binary encoding. dist/bridge.mjs: gateway/main.ts
# bundled by esbuild with every dependency inlined, so the runtime stage needs no node_modules.
RUN npm run build:protos && npm run build:bridge

FROM node:24.21-trixie-slim AS runtime
# The bridge is one file: a package manager in the runtime image is only attack surface.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && mkdir -p /var/lib/xdsflare && chown 10001:10001 /var/lib/xdsflare
WORKDIR /app
COPY --from=build /src/dist/bridge.mjs /app/bridge.mjs
COPY --from=build /src/build/envoy-descriptors.binpb /app/build/envoy-descriptors.binpb
# In a container the bridge listens on every interface (locally it defaults to 127.0.0.1).
# XDSFLARE_STATE_FILE is left unset: Kubernetes sets it to an emptyDir under /var/lib/xdsflare.
ENV NODE_ENV=production \
    XDSFLARE_ADS_ADDRESS=0.0.0.0:18000 \
    XDSFLARE_OPS_ADDRESS=0.0.0.0:18001 \
    XDSFLARE_DESCRIPTORS=/app/build/envoy-descriptors.binpb
# Numeric, so Kubernetes' runAsNonRoot can verify it without a passwd lookup; files stay root-owned (read-only to the bridge).
USER 10001:10001
EXPOSE 18000 18001
# Node is PID 1 here; the bridge installs its own SIGTERM handler (gateway/ops/drain.ts) and drains.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bridge.mjs"]
