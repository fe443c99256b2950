# The operator image: `node operator/cli/main.ts run` on Node 24, production dependencies
# only, as a non-root user, with nothing written to the root filesystem at run time (the
# Deployment mounts it read-only). Node 24 runs the TypeScript sources directly (type
# stripping), so there is no build step: the sources are the program.
#
#   docker build -t quay.io/meshkeeper/meshkeeper:v0.1.0 .
#
# Not built in this repository's CI (no Docker there); see docs/install.md.

ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Production dependencies, installed from the lockfile without running package scripts.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# 2. The runtime: Node, the dependencies, and what `run` reads (sources, templates, CRDs).
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY operator ./operator
COPY templates ./templates
COPY crds ./crds
# A numeric non-root user, so `runAsNonRoot` can be verified; the files stay root-owned
# and read-only to it.
USER 65532:65532
EXPOSE 8081
# --max-semi-space-size=1: as everywhere the operator starts (OPERATOR_NODE_FLAGS).
CMD ["node", "--max-semi-space-size=1", "operator/cli/main.ts", "run", "--health-host=0.0.0.0"]
