# syntax=docker/dockerfile:1
# llmrouter: one static binary on distroless, running as non-root.
#   docker build -t llmrouter .
#   docker run -p 8080:8080 -e GEMINI_API_KEY \
#     -v "$PWD/router.yaml:/etc/llmrouter/router.yaml:ro" -v llmrouter-data:/data llmrouter
# Build stage: modules first so source edits keep the dependency layer.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: the SQLite driver is pure Go, so the binary is fully static
# and runs on an image with no libc.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/llmrouter ./cmd/llmrouter \
 && mkdir -p /out/data

# Run stage: distroless static (CA certificates and tzdata, no shell),
# user nonroot (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llmrouter /usr/local/bin/llmrouter
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
EXPOSE 8080
# No config is baked in (the example's demo key must never reach
# production): mount yours at /etc/llmrouter/router.yaml.
# The spend database lives in /data (spend.sqlite_path: /data/spend.db in
# your router.yaml); mount a volume there to keep it across restarts.
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/llmrouter", "serve"]
CMD ["--config", "/etc/llmrouter/router.yaml"]
