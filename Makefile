# SPDX-License-Identifier: GPL-2.0-only
# sealwatch — one Makefile. `make` builds .output/sealwatch; `make test` runs every tier.
# V=1 for verbose; SANITIZE=1 builds with ASan+UBSan into .output/asan.

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

ifeq ($(SANITIZE),1)
BUILD ?= .output/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= .output
SAN_FLAGS :=
endif

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
CLANG_FORMAT ?= clang-format
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

PKGS := libbpf libelf libcrypto libssl jansson libarchive zlib libcurl libmicrohttpd
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-missing-field-initializers -Wno-format-truncation \
	  -D_GNU_SOURCE -D__TARGET_ARCH_$(ARCH) $(USER_INCLUDES) -I$(BUILD) $(PKG_CFLAGS) $(SAN_FLAGS) -pthread
LDFLAGS += $(SAN_FLAGS) -pthread
LDLIBS += $(PKG_LIBS) -lm

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# userspace/ is one folder per subsystem (docs/architecture.md): every
# userspace/*/*.c is built, so a new folder needs no change here. Each folder's
# public headers are on the include path; include/ holds the kernel<->user ABI.
USER_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard userspace/*/*.c userspace/*/*.h))))
USER_INCLUDES := -Iinclude $(addprefix -I,$(USER_DIRS))
MAIN_SRC := userspace/cli/main.c
# (file names are unique across the folders: the archive keeps base names only)
LIB_SRCS := $(filter-out $(MAIN_SRC),$(wildcard userspace/*/*.c))
LIB_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
DEP_FLAGS = -MMD -MP -MF $(@:.o=.d)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst userspace/%.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
FUZZ_FLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE $(USER_INCLUDES) -I$(BUILD) $(PKG_CFLAGS) -pthread \
	      -fsanitize=address,undefined -fno-sanitize-recover=undefined

.PHONY: all
all: $(BUILD)/sealwatch

$(BUILD)/tests $(BUILD)/fuzz $(BUILD)/bpf:
	$(Q)mkdir -p $@

# BPF (bpf/*.bpf.c, CO-RE): vmlinux.h → one .unit.o per file → linked BPF
# objects → skeletons, all in $(BUILD).
# vmlinux.h is dumped from the running kernel's BTF whenever that file is newer
# (i.e. after a reboot) and replaced only when its content changed; without
# /sys/kernel/btf/vmlinux the checked-in bpf/vmlinux/vmlinux_$(ARCH).h is used
# (regenerate it with `make vmlinux-update` on a kernel with BTF).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_FALLBACK := bpf/vmlinux/vmlinux_$(ARCH).h
# One skeleton per BPF object: bpf/NAME.bpf.c (it defines the maps and the
# configuration the object shares) linked with every bpf/NAME_*.bpf.c (one hook
# family each) by `bpftool gen object`, which also drops the DWARF.
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJECTS := $(sort $(foreach f,$(notdir $(BPF_SRCS:.bpf.c=)),$(firstword $(subst _, ,$(f)))))
BPF_SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_OBJECTS))
BPF_UNITS = $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.unit.o,$(wildcard bpf/$(1).bpf.c bpf/$(1)_*.bpf.c))
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -Iinclude -Ibpf
VMLINUX_GEN = { if [ -r $(VMLINUX_BTF) ]; then \
		$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c; \
	else cat $(VMLINUX_FALLBACK); fi; } >$(BUILD)/vmlinux.h.tmp && \
	{ cmp -s $(BUILD)/vmlinux.h.tmp $(BUILD)/vmlinux.h && rm -f $(BUILD)/vmlinux.h.tmp || \
	  mv -f $(BUILD)/vmlinux.h.tmp $(BUILD)/vmlinux.h; }

$(BUILD)/vmlinux.stamp: $(wildcard $(VMLINUX_BTF) $(VMLINUX_FALLBACK)) | $(BUILD)/bpf
	$(call msg,VMLINUX,$(BUILD)/vmlinux.h)
	$(Q)$(VMLINUX_GEN) && touch $@

# updated (or not) by the stamp's recipe: dependents compare its real mtime
$(BUILD)/vmlinux.h: $(BUILD)/vmlinux.stamp
	$(Q)[ -f $@ ] || { $(VMLINUX_GEN); }

$(BUILD)/bpf/%.unit.o: bpf/%.bpf.c $(BUILD)/vmlinux.h Makefile | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

define BPF_OBJECT_RULE
$(BUILD)/bpf/$(1).bpf.o: $(call BPF_UNITS,$(1))
	$$(call msg,BPF-LINK,$$@)
	$$(Q)$$(BPFTOOL) gen object $$@ $$^
endef
$(foreach o,$(BPF_OBJECTS),$(eval $(call BPF_OBJECT_RULE,$(o))))

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf >$@

.PHONY: bpf vmlinux-update
bpf: $(BPF_SKELS)
vmlinux-update:
	$(Q)mkdir -p $(dir $(VMLINUX_FALLBACK))
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c >$(VMLINUX_FALLBACK)

# userspace that includes a skeleton (the first build has no .d files yet)
KERNEL_SRCS := $(wildcard userspace/kernel/*.c)
$(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(KERNEL_SRCS)) \
$(patsubst userspace/%.c,$(BUILD)/fuzz/obj/%.o,$(KERNEL_SRCS)): $(BPF_SKELS)

# header dependencies: written by the compiler (-MMD -MP) beside each object
$(BUILD)/obj/%.o: userspace/%.c Makefile
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEP_FLAGS) -c $< -o $@

$(BUILD)/libsealwatch.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/sealwatch: $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(MAIN_SRC)) $(BUILD)/libsealwatch.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsealwatch.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Itests/unit $< $(BUILD)/libsealwatch.a $(LDFLAGS) $(LDLIBS) -o $@

.PHONY: unit
unit: $(UNIT_BINS)

# libFuzzer targets: every parser (tests/fuzz/README.md)
$(BUILD)/fuzz/obj/%.o: userspace/%.c Makefile
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(DEP_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -MMD -MP -MF $(@D)/.$(@F).d -fsanitize=fuzzer $< $(FUZZ_OBJS) $(PKG_LIBS) -o $@

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)
# long fuzzing run: FUZZ_SECONDS per target (default 600)
fuzz: fuzz-build
	SW_BUILD=$(BUILD) tests/fuzz/run.sh $${FUZZ_SECONDS:-600}

.PHONY: deps
deps:
	$(Q)deploy/install-deps.sh

# The daemon with its embedded defaults: every exec on this host, JSON events on
# stdout; containers whose image has no signed baseline are reported
# no_baseline. Ctrl-C stops it. Add baselines with ARGS="--baseline-dir DIR
# --trusted-key PUB.pem" (see docs/daemon.md).
.PHONY: run
run: deps all
	$(BUILD)/sealwatch daemon $(ARGS)

# A real image baselined, signed, swapped and caught by `sealwatch scan`.
.PHONY: tour
tour: deps all
	$(Q)SW=$(abspath $(BUILD))/sealwatch docs/tour.sh

.PHONY: test
test: deps all unit fuzz-build
	$(Q)tests/run.sh

# the whole suite under ASan+UBSan
.PHONY: test-asan
test-asan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit
	$(Q)SW_BUILD=.output/asan tests/run.sh

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' ':!:bpf/vmlinux/*' 2>/dev/null)
.PHONY: format format-check
format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_FILES)
format-check:
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

# includes point down the rooms only (docs/architecture.md)
.PHONY: layering-check
layering-check:
	$(Q)tests/layering.sh

# make install [DESTDIR=…] [PREFIX=/usr/local]: the binary (sbin), sealwatch(8),
# the systemd unit (ExecStart follows PREFIX) and, only when absent, the
# example config as /etc/sealwatch/config.json. `make uninstall` removes all
# but the config (and the baselines and keys next to it).
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
.PHONY: install uninstall
install: all
	install -D -m 0755 $(BUILD)/sealwatch $(DESTDIR)$(PREFIX)/sbin/sealwatch
	install -D -m 0644 docs/sealwatch.8 $(DESTDIR)$(MANDIR)/man8/sealwatch.8
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/sealwatch|$(PREFIX)/sbin/sealwatch|; s|/etc/sealwatch/|$(SYSCONFDIR)/sealwatch/|' \
		deploy/systemd/sealwatch.service >$(DESTDIR)$(UNITDIR)/sealwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sealwatch.service
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/sealwatch
	[ -e $(DESTDIR)$(SYSCONFDIR)/sealwatch/config.json ] || \
		install -m 0640 deploy/sealwatch.example.json $(DESTDIR)$(SYSCONFDIR)/sealwatch/config.json
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/sealwatch $(DESTDIR)$(MANDIR)/man8/sealwatch.8 \
		$(DESTDIR)$(UNITDIR)/sealwatch.service

.PHONY: clean
clean:
	rm -rf .output

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
