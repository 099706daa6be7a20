# The jirasync controller image. Node 24 runs the TypeScript in controller/ directly (type
# stripping), so there is no build step: one stage installs the production dependencies, the
# runtime stage adds them to the sources and runs as a non-root user. No git binary is needed
# (controller/git/ speaks git itself: isomorphic-git fetches and reads, our own code writes packs
# and pushes them), and none is in the base image.
#
#   docker build -t jirasync:0.1.0 .
#
# NODE_VERSION follows the `node` devDependency in package.json (test/chart/dockerfile.test.ts
# checks that they agree).
ARG NODE_VERSION=24.21.0

# --- deps: production node_modules only ---------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no test tools, no TypeScript, no second Node binary. --ignore-scripts: no dependency
# runs code at install time (none needs to: all are plain JavaScript).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
# glibc gives each thread that allocates (the deflate worker, libuv's pool) its own malloc arena,
# and freed memory stays resident in each; two arenas keep a large sync ~10 MiB lower.
# test/bench/ starts the controller with this environment too.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# npm and its bundled packages are not needed to run the controller; removing them shrinks the
# image and what a scanner has to report on.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY controller/ ./controller/
# 65532 matches the chart's runAsUser; a numeric user lets the kubelet verify runAsNonRoot.
# Files stay owned by root, so the controller cannot modify its own code.
USER 65532:65532
EXPOSE 8080
# A small young generation and forced full collections during a sync (controller/heap.ts)
# keep resident memory near what a sync holds; test/bench/run.ts runs with these same flags.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--expose-gc", "controller/main.ts"]
