# sealdock: Node 22 on Debian bookworm with Debian's ffmpeg (libx264, libx265).
# Build: docker build -t sealdock .      Run: docker run -v /srv/sealdock:/srv/sealdock sealdock
FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg openssl tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
# State (catalog, spool, dev seal), docks and a local archive live under one volume; point a
# config file at S3 for production (SEALDOCK_CONFIG=/srv/sealdock/sealdock.yaml).
ENV SEALDOCK_DATA_DIR=/srv/sealdock/data
VOLUME ["/srv/sealdock"]
WORKDIR /srv/sealdock
USER node
EXPOSE 8440
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sealdock.js"]
CMD ["start"]
