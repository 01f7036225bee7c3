# vault-sync-operator. `make help` lists the targets.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= ghcr.io/vault-sync-io/vault-sync-operator:dev
TOOLS := hack/tools/install.sh
GEN_BIN = $(shell $(TOOLS) --print-dir gen)
KUBE_BIN = $(shell $(TOOLS) --print-dir kube)
CONTROLLER_GEN = $(GEN_BIN)/controller-gen
HELM = $(GEN_BIN)/helm
# Integration tests start real apiservers and Vaults; keep the packages sequential on small machines.
TMPDIR ?= /tmp
TEST_FLAGS ?= -p 1 -count=1 -timeout 60m

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN{FS=":.*##"} /^[a-zA-Z_-]+:.*##/{printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: tools
tools: ## Build (once, cached under ~/.cache/vault-sync-operator) kube-apiserver, etcd, vault, controller-gen, helm, kwok, prometheus-operator.
	$(TOOLS)

.PHONY: generate
generate: tools ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: tools ## Generate CRDs and RBAC from kubebuilder markers into config/ (and the chart).
	$(CONTROLLER_GEN) rbac:roleName=vault-sync-operator crd:generateEmbeddedObjectMeta=true paths=./api/... paths=./internal/controller/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	cp config/crd/bases/*.yaml charts/vault-sync-operator/crds/

.PHONY: fmt
fmt: ## go fmt.
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: ## go vet + gofmt check.
	go vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: test
test: tools ## Run all tests: unit, fuzz seeds, and integration against a real apiserver+etcd and Vault.
	go test $(TEST_FLAGS) ./...

.PHONY: bench
bench: tools ## Run the scale benchmarks: 3 runs on fresh rigs (ceiling, push/pull cold starts, idle, restart, failover; min/median/max), then dynamic secrets; each prints a table and a JSON line. BENCH_ARGS='-runs 1' for a quick run.
	go run ./test/bench $(BENCH_ARGS)
	go run ./test/bench/dynamic $(BENCH_DYNAMIC_ARGS)

.PHONY: run-local
run-local: tools ## Start the local sandbox: apiserver+etcd, dev Vault, the operator and the examples (Ctrl-C stops all).
	go run ./test/sandbox

##@ Build

.PHONY: build
build: ## Build the operator binary into bin/ (the same command the Dockerfile runs).
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/vault-sync-operator ./cmd/vault-sync-operator

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the container image.
	docker push $(IMG)

.PHONY: test-crds
test-crds: tools ## Generate the ServiceMonitor CRD used by tests from prometheus-operator's Go types.
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:artifacts:config=$(TMPDIR)/vso-crds
	cp $(TMPDIR)/vso-crds/monitoring.coreos.com_servicemonitors.yaml test/crds/

##@ Packaging

.PHONY: chart
chart: manifests ## Copy the generated CRD, RBAC rules, alerts and dashboard into the Helm chart (tests check they are in sync).
	cp config/crd/bases/*.yaml charts/vault-sync-operator/crds/
	cp config/prometheus/alerts.yaml config/prometheus/dashboard.json charts/vault-sync-operator/files/prometheus/
	sed -n '/^rules:/,$$p' config/rbac/role.yaml | tail -n +2 > charts/vault-sync-operator/files/rbac-rules.yaml
	sed -n '/^rules:/,$$p' config/rbac/workload-identity/role.yaml | tail -n +2 > charts/vault-sync-operator/files/workload-identity-rules.yaml

.PHONY: build-installer
build-installer: chart ## Render config/default into dist/install.yaml (plain manifests for kubectl apply).
	mkdir -p dist
	$(KUBE_BIN)/kubectl kustomize config/default > dist/install.yaml

.PHONY: helm-lint
helm-lint: tools ## helm lint the chart.
	$(HELM) lint charts/vault-sync-operator
