# syntax=docker/dockerfile:1
# Build: the same commands CI and the README use (npm install, bun run build).
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install
COPY src ./src
RUN bun run build

# Run: the compiled binary alone, as a non-root user; same paths as Distribution's image where
# they make sense (/var/lib/registry, port 5000).
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/registry skiff \
 && mkdir -p /var/lib/registry /etc/skiff \
 && chown skiff /var/lib/registry
COPY --from=build /src/dist/skiff /usr/local/bin/skiff
COPY docker/config.yml /etc/skiff/config.yml
USER skiff
VOLUME /var/lib/registry
EXPOSE 5000 5001
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/skiff", "healthcheck", "http://127.0.0.1:5000/healthz"]
ENTRYPOINT ["/usr/local/bin/skiff"]
CMD ["serve", "/etc/skiff/config.yml"]
