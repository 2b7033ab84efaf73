/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One path of a merged image tree or host tree: what a baseline line records.
 * Paths are raw bytes, absolute ("/usr/bin/ls"), normalized (no "." or ".."
 * components, no duplicate or trailing slashes) and never escaped in memory;
 * escaping happens only when a baseline is written (pathesc.h).
 */
#ifndef SW_ENTRY_H
#define SW_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_SHA256_LEN 32

enum sw_file_type {
	SW_FT_FILE,
	SW_FT_DIR,
	SW_FT_SYMLINK,
	SW_FT_HARDLINK, /* another name of a regular file; content fields are the target's */
	SW_FT_CHAR,
	SW_FT_BLOCK,
	SW_FT_FIFO,
	SW_FT_SOCKET,
	SW_FT__COUNT,
};

enum sw_exec_class {
	SW_EXEC_NONE, /* not an ELF object nor a #! script */
	SW_EXEC_ELF_EXEC, /* ET_EXEC */
	SW_EXEC_ELF_PIE, /* ET_DYN with PT_INTERP */
	SW_EXEC_ELF_SHARED, /* ET_DYN without PT_INTERP (libraries, ld.so, static-pie) */
	SW_EXEC_ELF_OTHER, /* ET_REL, ET_CORE, unknown e_type */
	SW_EXEC_SCRIPT, /* starts with "#!"; interp is the interpreter path */
	SW_EXEC__COUNT,
};

/* Entry flags (not serialized except where noted). */
enum {
	SW_ENTRY_IMPLICIT = 1 << 0, /* directory created because a child needed it */
	SW_ENTRY_WHITEOUT = 1 << 1, /* layer-only: ".wh.NAME" deletes path */
	SW_ENTRY_OPAQUE = 1 << 2, /* layer-only: ".wh..wh..opq" hides lower children of path */
};

struct sw_entry {
	char *path; /* owned */
	char *link; /* owned; symlink target or hardlink target path, else NULL */
	char *interp; /* owned; PT_INTERP or script interpreter, else NULL */
	unsigned char *caps; /* owned; raw security.capability xattr value, else NULL */
	uint32_t caps_len;
	uint32_t mode; /* permission bits only: 07777 (setuid, setgid, sticky, rwx) */
	uint64_t size; /* regular files and hardlinks: content length; else 0 */
	uint32_t uid, gid;
	uint32_t rdev_major, rdev_minor; /* char/block only */
	uint8_t type; /* enum sw_file_type */
	uint8_t exec_class; /* enum sw_exec_class */
	uint8_t has_sha256; /* sha256 valid (regular files and hardlinks) */
	uint8_t flags; /* SW_ENTRY_* */
	unsigned char sha256[SW_SHA256_LEN];
};

/*
 * The metadata of a file as found at run time (fstat, security.capability),
 * in the units of struct sw_entry, with the xattr held inline so that it can
 * be cached and reported after the file is closed.
 */
#define SW_CAPS_MAX 64
struct sw_file_meta {
	uint32_t mode; /* 07777 */
	uint32_t uid, gid;
	uint32_t caps_len; /* 0: no security.capability */
	unsigned char caps[SW_CAPS_MAX];
	/* the owner could not be told as the container sees it: not compared */
	uint8_t owner_unknown;
};

/* Free the owned members (not @e itself); leaves @e zeroed. Accepts NULL. */
void entry_clear(struct sw_entry *e);
/* Deep copy of @src's inode content (interp, caps, size, sha256, class) into @dst; not link. */
int entry_copy_content(struct sw_entry *dst, const struct sw_entry *src);

const char *entry_type_name(enum sw_file_type type);
int entry_type_from_name(const char *name); /* enum value or -1 */
const char *entry_exec_class_name(enum sw_exec_class class);
int entry_exec_class_from_name(const char *name); /* enum value or -1 */

/* True when both describe a regular file's content (file or hardlink). */
static inline bool entry_is_content(const struct sw_entry *e)
{
	return e->type == SW_FT_FILE || e->type == SW_FT_HARDLINK;
}

#endif
