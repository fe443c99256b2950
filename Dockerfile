# The operator image: the bundle `npm run build` makes (dist/meshkeeper.js: `meshkeeper run`
# and what it imports, dependencies included) on Node 24, as a non-root user, with nothing
# written to the root filesystem at run time (the Deployment mounts it read-only). It is
# the same file bench:operator measures (docs/footprint.md): no TypeScript loader, no
# node_modules, no sources beyond the templates and CRDs the renderer reads.
#
#   docker build -t quay.io/meshkeeper/meshkeeper:v0.1.0 .
#
# Not built in this repository's CI (no Docker there); see docs/install.md.

ARG NODE_IMAGE=node:24-bookworm-slim

# 1. The bundle, built from the lockfile's packages (esbuild among the dev dependencies;
#    package scripts stay off: the image's own node is Node 24 already).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY operator ./operator
COPY templates ./templates
COPY crds ./crds
RUN node operator/build/operator-bundle.ts

# 2. The runtime: Node, the bundle, and the files `run` reads (templates, CRDs). The
#    bundle finds them beside package.json's folder, as in the source tree.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# glibc's malloc: one arena, large blocks mapped on their own (OPERATOR_ENV).
ENV MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
COPY package.json ./
COPY --from=build /app/dist/meshkeeper.js ./dist/meshkeeper.js
COPY templates ./templates
COPY crds ./crds
# A numeric non-root user, so `runAsNonRoot` can be verified; the files stay root-owned
# and read-only to it.
USER 65532:65532
EXPOSE 8081
# The node flags, as everywhere the operator starts (OPERATOR_NODE_FLAGS, docs/footprint.md).
CMD ["node", "--max-semi-space-size=1", "--expose-gc", "--no-opt", "--no-maglev", "dist/meshkeeper.js", "run", "--health-host=0.0.0.0"]
