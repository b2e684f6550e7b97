# syntax=docker/dockerfile:1
#
# Llavero's production image. TypeScript runs directly through tsx (a production dependency):
# there is no build step, so the image is node_modules (production only) plus the source.
#
#   docker build -t llavero .
#   docker run -d -p 3000:3000 --env-file .env llavero
#
# Tests are not run here (.dockerignore keeps tests/ and bench/ out of the build context, and the
# browser and PostgreSQL tests need Chromium and a server): CI runs them with .ci/run.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: production node_modules from the lockfile ---------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# No native modules to compile: esbuild (under tsx) ships a prebuilt binary per platform, PGlite is WASM.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# ---- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app

# The embedded store's directory (used only without DATABASE_URL), writable by the non-root user.
RUN mkdir -p /data && chown node:node /data

COPY --from=deps /app/node_modules ./node_modules
# package.json: "type": "module" makes src/*.ts ES modules. tsconfig.json: read by tsx at run time
# (verbatimModuleSyntax, target), so the code is transformed exactly as in development and CI.
COPY package.json tsconfig.json ./
COPY locales/ ./locales/
COPY slack/ ./slack/
COPY teams/ ./teams/
COPY bin/ ./bin/
# src/ whole: src/certs/worker.mjs is resolved next to src/certs/pool.ts (new URL('./worker.mjs',
# import.meta.url)) and the web chat widget is served from src/adapters/webchat/public/.
COPY src/ ./src/

# Code and node_modules stay root-owned (read-only for the process); tsx caches compiled files in /tmp.
USER node
EXPOSE 3000

# Liveness only (/readyz is for load balancers). Slim images have no curl: Node's global fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# main.ts handles SIGTERM itself (drains within SHUTDOWN_TIMEOUT_MS), so node can be PID 1.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
