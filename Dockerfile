# Build: the same command as `make build`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/vault-sync-operator ./cmd/vault-sync-operator

# Run: distroless, static, non-root, nothing but the binary.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/vault-sync-operator /vault-sync-operator
USER 65532:65532
ENTRYPOINT ["/vault-sync-operator"]
