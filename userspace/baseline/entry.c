// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "strutil.h"

static const char *const type_names[SW_FT__COUNT] = {
	[SW_FT_FILE] = "file",	       [SW_FT_DIR] = "dir",	  [SW_FT_SYMLINK] = "symlink",
	[SW_FT_HARDLINK] = "hardlink", [SW_FT_CHAR] = "char",	  [SW_FT_BLOCK] = "block",
	[SW_FT_FIFO] = "fifo",	       [SW_FT_SOCKET] = "socket",
};

static const char *const class_names[SW_EXEC__COUNT] = {
	[SW_EXEC_NONE] = "none",	   [SW_EXEC_ELF_EXEC] = "elf_exec",
	[SW_EXEC_ELF_PIE] = "elf_pie",	   [SW_EXEC_ELF_SHARED] = "elf_shared",
	[SW_EXEC_ELF_OTHER] = "elf_other", [SW_EXEC_SCRIPT] = "script",
};

void entry_clear(struct sw_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->link);
	free(e->interp);
	free(e->caps);
	memset(e, 0, sizeof(*e));
}

int entry_copy_content(struct sw_entry *dst, const struct sw_entry *src)
{
	char *interp = NULL;
	unsigned char *caps = NULL;

	if (strdup_opt(&interp, src->interp))
		goto nomem;
	if (src->caps) {
		caps = malloc(src->caps_len);
		if (!caps)
			goto nomem;
		memcpy(caps, src->caps, src->caps_len);
	}
	free(dst->interp);
	free(dst->caps);
	dst->interp = interp;
	dst->caps = caps;
	dst->caps_len = src->caps_len;
	dst->size = src->size;
	dst->exec_class = src->exec_class;
	dst->has_sha256 = src->has_sha256;
	memcpy(dst->sha256, src->sha256, sizeof(dst->sha256));
	return 0;
nomem:
	free(interp);
	return -ENOMEM;
}

const char *entry_type_name(enum sw_file_type type)
{
	return type < SW_FT__COUNT ? type_names[type] : "?";
}

int entry_type_from_name(const char *name)
{
	for (int i = 0; i < SW_FT__COUNT; i++)
		if (strcmp(name, type_names[i]) == 0)
			return i;
	return -1;
}

const char *entry_exec_class_name(enum sw_exec_class class)
{
	return class < SW_EXEC__COUNT ? class_names[class] : "?";
}

int entry_exec_class_from_name(const char *name)
{
	for (int i = 0; i < SW_EXEC__COUNT; i++)
		if (strcmp(name, class_names[i]) == 0)
			return i;
	return -1;
}
