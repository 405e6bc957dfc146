# syntax=docker/dockerfile:1
# @pilot-status/mcp-server as a container: the stateless Streamable HTTP server on $PORT.
#
#   docker build -t pilot-status-mcp .
#   docker run --rm -p 8787:8787 pilot-status-mcp --sandbox          # offline demo
#   docker run --rm -p 8787:8787 -e MCP_RESOURCE_URL=https://mcp.example.com pilot-status-mcp
#
# No secret is baked in: pass PILOT_STATUS_API_KEY (if any) at run time with -e / --env-file.
# Every variable is listed in .env.example and `docker run --rm pilot-status-mcp --help`.
#
# test/release/tarball.test.ts reproduces the runtime stage without Docker: the packed
# package, production dependencies only, started in HTTP and stdio mode.

# Node.js 24 LTS, pinned to the exact release .ci/run tests on (its Node 24 pass), so the image
# runs what CI ran. "engines" stays >=20.18.1 while Node 20 is tested too. Override with
# --build-arg NODE_VERSION=<x.y.z>.
ARG NODE_VERSION=24.22.3

# ---- build: dev dependencies + TypeScript → dist/ ----
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" would run the build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
# .dockerignore keeps tests, bench, examples, local dist/ and .env files out of the context.
COPY . .
RUN npm run build

# ---- runtime: production dependencies + dist only, non-root ----
FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production \
    MCP_TRANSPORT=http \
    HOST=0.0.0.0 \
    PORT=8787
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" (tsc) is a build step; TypeScript is not installed here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The official node images ship an unprivileged "node" user (uid 1000); nothing here needs root
# and the application files stay owned by root, so the process cannot modify them.
USER node
EXPOSE 8787
# Liveness via GET /health (no auth, no upstream call). Slim images have no curl: use node.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Arguments after the image name go to the CLI: e.g. `--sandbox`, `--help`, or `stdio` (with -i).
# V8 flags (README, Performance; `npm run bench` starts the CLI with exactly these flags and this
# stage's ENV, next to node's defaults):
# --max-semi-space-size=4 (MB): V8 otherwise grows the young generation to 2 × 16 MB and keeps it
#   (RSS, not live data); capped, idle RSS is ~20 MB lower.
# --heap-growing-percent=50: the old space may grow to 1.5 × what survived the last full GC before
#   the next one, instead of up to 4× while the allocation rate is high. With the smaller young
#   generation more short-lived request objects are promoted; without this the old space fills
#   with that garbage under load (RSS ~195 MB at 200 connections, ~120 MB with it), for no
#   measurable CPU per request (CPU time per request, interleaved runs; README). It is a growth factor, not a limit:
#   the heap still grows as far as live data needs.
# --liftoff-only: WebAssembly is compiled by V8's baseline compiler only. The only WebAssembly in
#   the server is undici's HTTP parser (llhttp); on Node.js 24 its optimised tier-up took ~10 MB
#   of RSS after the first few hundred upstream calls, for no measurable CPU per request
#   (bench/cpu.mjs with TARGET_NODE_ARGS, interleaved runs). JavaScript is not affected.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--liftoff-only", "dist/src/cli.js"]
