# runo: `make` builds the static binary, `make demo` runs a container, `make test` runs every test.
GO        ?= go
PREFIX    ?= /usr/local
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null)
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.1.0-dev)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.gitCommit=$(COMMIT)
# urfave_cli_no_docs leaves out urfave/cli's man-page and markdown generators, whose package
# initialisation (blackfriday) every runo process would otherwise pay for.
GOFLAGS_BUILD := -trimpath -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)"
export CGO_ENABLED := 0

.PHONY: all runo probe demo test unit roottests integration conformance bench deps clean install

all: runo

# The build fails if anything links cgo: runo is one static binary.
runo:
	$(GO) build $(GOFLAGS_BUILD) -o runo .
	@if $(GO) list -deps -f '{{if .CgoFiles}}{{.ImportPath}}{{end}}' . | grep .; then \
		echo "error: the packages above use cgo; runo must build with CGO_ENABLED=0" >&2; exit 1; fi
	@file runo | grep -q 'statically linked' || { echo "error: runo is not statically linked" >&2; exit 1; }

probe:
	$(GO) build -trimpath -o integration/probe.bin ./integration/cmd/probe

# deps installs what the demo and the tests need on a fresh Debian machine.
deps:
	@./hack/deps.sh

demo: deps runo
	@./hack/demo.sh ./runo

unit:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Package tests that need root: namespaces and mounts, in namespaces of their own.
roottests:
	RUNO_ROOT_TESTS=1 $(GO) test -count=1 ./nsenter/... ./internal/rootfs/... ./internal/seccomp/... ./cgroups/...

integration: runo probe
	RUNO_BINARY=$(CURDIR)/runo RUNO_PROBE=$(CURDIR)/integration/probe.bin \
		$(GO) test -count=1 -timeout 15m ./integration/...

test: deps unit roottests integration vm-lanes

conformance: deps runo
	tools/conformance/run.sh $(CURDIR)/runo

bench: runo
	RUNO_BENCH_DEPS=1 ./hack/deps.sh
	$(GO) run ./tools/bench -runo $(CURDIR)/runo $(BENCHFLAGS)
	$(GO) run ./tools/seccompbench

install: runo
	install -D -m 0755 runo $(DESTDIR)$(PREFIX)/sbin/runo

clean:
	rm -f runo integration/probe.bin

# --- VM lanes ---
# The integration suite inside qemu VMs (software emulation, no KVM), on cgroup setups this host
# does not have: pure cgroup v2 (vm-cgroup2) and systemd as PID 1 (vm-systemd). Root only;
# kernels and images are cached in $RUNO_VM_CACHE (default ~/.cache/runo-vm). hack/vm/README.md
# says more. vm-lanes runs every lane even when one fails, and fails if any did.
.PHONY: vm-lanes vm-cgroup2 vm-systemd
vm-lanes: runo probe
	@rc=0; \
	GO=$(GO) hack/vm/cgroup2.sh || rc=1; \
	GO=$(GO) RUNO_VM_SYSTEMD_STRICT=$${RUNO_VM_SYSTEMD_STRICT:-1} hack/vm/systemd.sh || rc=1; \
	exit $$rc

vm-cgroup2: runo probe
	GO=$(GO) hack/vm/cgroup2.sh

# The --systemd-cgroup smoke test counts (RUNO_VM_SYSTEMD_STRICT=0 makes it informational).
vm-systemd: runo probe
	GO=$(GO) RUNO_VM_SYSTEMD_STRICT=$${RUNO_VM_SYSTEMD_STRICT:-1} hack/vm/systemd.sh
# --- end VM lanes ---

# --- compat ---
# Engine scenarios (containerd, podman, Docker) and direct runtime-vs-runc checks against runo;
# RUNTIME=/usr/sbin/runc runs the same scenarios against runc as a reference, ENGINES="podman"
# picks parts. Root only; hack/compat/README.md says more.
.PHONY: compat
RUNTIME ?= $(CURDIR)/runo
compat: runo
	RUNTIME=$(RUNTIME) hack/compat/compat.sh
# --- end compat ---
