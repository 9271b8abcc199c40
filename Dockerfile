# sealdock on Node 24 LTS (Debian bookworm) with Debian's ffmpeg (libx264, libx265).
# Not built on the development machines (no container engine there); test/unit/deploy-files.test.ts
# checks its facts statically. docs/operations.md has the run commands (S3, a seal mounted read-only).
#   docker build -t sealdock .
#   docker run -d -p 8440:8440 -v /srv/sealdock:/srv/sealdock sealdock
# A host directory mounted at /srv/sealdock must belong to uid 10001 (the image's sealdock user).

FROM node:24-bookworm-slim AS build
# npm ci builds better-sqlite3 with node-gyp (it has a binding.gyp and no install script of its
# own, so npm compiles it although binaries ship in the package): a compiler, make and python3,
# and this image's own Node headers (/usr/local/include/node) so that nothing is downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY config ./config
# npm ci runs `prepare` = `npm run build`: the daemon (tsc) and the web console (vite).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg openssl tini tzdata ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# A dedicated user, and the volume's folders created and owned by it before the volume is
# declared, so a fresh named volume starts writable (not root-owned: the first write would be EACCES).
RUN groupadd --system --gid 10001 sealdock \
  && useradd --system --uid 10001 --gid sealdock --home-dir /srv/sealdock --no-create-home --shell /usr/sbin/nologin sealdock \
  && mkdir -p /srv/sealdock/var/data /srv/sealdock/var/dock /srv/sealdock/var/archive \
  && chown -R sealdock:sealdock /srv/sealdock \
  && chmod 0700 /srv/sealdock/var/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/config ./config

# The embedded defaults' relative paths resolve against the working directory: var/data,
# var/dock/<device>/ and var/archive all land in the volume. Production: mount a config file and
# name it (SEALDOCK_CONFIG=/etc/sealdock/sealdock.yaml), and any scalar with SEALDOCK_* variables.
WORKDIR /srv/sealdock
VOLUME ["/srv/sealdock"]
# Listen on every interface of the container (the default, loopback, is unreachable through -p).
ENV SEALDOCK_API_HOST=0.0.0.0 \
    SEALDOCK_API_PORT=8440 \
    SEALDOCK_LOG_FORMAT=json \
    TZ=Asia/Shanghai \
    SEALDOCK_TIMEZONE=Asia/Shanghai \
    NODE_ENV=production
EXPOSE 8440
USER sealdock
# Liveness over the API's /healthz with node itself (no curl in the image); https when TLS is
# configured through SEALDOCK_API_TLS_CERT_FILE (the certificate is not checked: liveness only).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const s=!!process.env.SEALDOCK_API_TLS_CERT_FILE;require(s?'https':'http').get({host:'127.0.0.1',port:process.env.SEALDOCK_API_PORT||8440,path:'/healthz',rejectUnauthorized:false,timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sealdock.js"]
CMD ["start"]
