# One image for both processes of the production topology (see docker-compose.yml).
# Build stage: the whole toolchain, to compile src/ and tasks/ to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY patches patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY tasks tasks
RUN npm run build

# Runtime: production dependencies only (no TypeScript, no embedded PostgreSQL), the compiled code, the
# migrations, the crontab and the console's static files (served by the API process at /console/).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8002 OUTBOX_DIR=/tmp/outbox
COPY package.json package-lock.json .npmrc ./
COPY patches patches
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist dist
COPY drizzle drizzle
COPY crontab ./
COPY console console
USER node
EXPOSE 8002
# node directly (not npm): SIGTERM reaches the process, which then drains and exits within 10 s.
CMD ["node", "dist/src/server.js"]
