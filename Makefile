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
CLANG_FORMAT ?= clang-format
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

PKGS := libelf libcrypto jansson libarchive zlib
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-missing-field-initializers -Wno-format-truncation \
	  -D_GNU_SOURCE -D__TARGET_ARCH_$(ARCH) -Iinclude $(PKG_CFLAGS) $(SAN_FLAGS) -pthread
LDFLAGS += $(SAN_FLAGS) -pthread
LDLIBS += $(PKG_LIBS)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIB_SRCS := $(filter-out userspace/main.c,$(wildcard userspace/*.c))
LIB_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst userspace/%.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
FUZZ_FLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -pthread \
	      -fsanitize=address,undefined -fno-sanitize-recover=undefined

.PHONY: all
all: $(BUILD)/sealwatch

$(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz/obj:
	$(Q)mkdir -p $@

$(BUILD)/obj/%.o: userspace/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libsealwatch.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/sealwatch: $(BUILD)/obj/main.o $(BUILD)/libsealwatch.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libsealwatch.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/libsealwatch.a $(LDFLAGS) $(LDLIBS) -o $@

.PHONY: unit
unit: $(UNIT_BINS)

# libFuzzer targets: every parser (tests/fuzz/README.md)
$(BUILD)/fuzz/obj/%.o: userspace/%.c $(wildcard include/*.h) | $(BUILD)/fuzz/obj
	$(call msg,FUZZCC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(PKG_LIBS) -o $@

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)
# long fuzzing run: FUZZ_SECONDS per target (default 600)
fuzz: fuzz-build
	SW_BUILD=$(BUILD) tests/fuzz/run.sh $${FUZZ_SECONDS:-600}

.PHONY: deps
deps:
	$(Q)deploy/install-deps.sh

# Until the runtime daemon lands (issue 3), `make run` runs the tour: a real
# image baselined, signed, swapped and caught by `sealwatch scan`.
.PHONY: run
run: deps all
	$(Q)SW=$(abspath $(BUILD))/sealwatch docs/tour.sh

.PHONY: test
test: deps all unit fuzz-build
	$(Q)tests/run.sh

# the whole suite under ASan+UBSan
.PHONY: test-asan
test-asan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit
	$(Q)SW_BUILD=.output/asan tests/run.sh

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
.PHONY: format format-check
format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_FILES)
format-check:
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

.PHONY: install
install: all
	install -D -m 0755 $(BUILD)/sealwatch $(DESTDIR)$(PREFIX)/bin/sealwatch

.PHONY: clean
clean:
	rm -rf .output
