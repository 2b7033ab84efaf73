// SPDX-License-Identifier: GPL-2.0-only
/*
 * Executable class from a file's first bytes. ELF objects go through libelf
 * (elf_memory() on a private copy: libelf may convert data in place); "#!"
 * scripts are read the way the kernel's binfmt_script reads them.
 * Thread-safe: libelf keeps its error state per thread and every call works
 * on its own Elf handle; elf_version() runs once.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>

#include "elfclass.h"

/* binfmt_script reads at most BINPRM_BUF_SIZE (256) bytes: 255 for "#!" + interpreter */
#define SCRIPT_HEAD 256

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ready;

static void elf_init(void)
{
	elf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * "#!" [spaces/tabs] interpreter [spaces/tabs args] newline. The
 * interpreter ends at a space, tab, newline or NUL, as in the kernel. When it
 * does not end within the first 256 bytes (nor at the end of a short file),
 * the kernel refuses the script: record no interpreter.
 */
static int classify_script(const unsigned char *head, size_t len, uint64_t file_size,
			   char **ret_interp)
{
	size_t limit = len < SCRIPT_HEAD ? len : SCRIPT_HEAD, i = 2, start;
	/* the kernel zero-fills its buffer past the end of a short file */
	bool short_file = len >= file_size && len < SCRIPT_HEAD;

	while (i < limit && is_space(head[i]))
		i++;
	start = i;
	while (i < limit && !is_space(head[i]) && head[i] != '\n' && head[i] != '\0')
		i++;
	if (i == start)
		return 0;
	if (i == limit && !short_file)
		return 0; /* interpreter name cut off */
	*ret_interp = strndup((const char *)head + start, i - start);
	return *ret_interp ? 0 : -ENOMEM;
}

/*
 * Section headers are never needed here and usually lie past the prefix:
 * clear e_shoff, e_shnum and e_shstrndx in the copy so that libelf does not
 * size or allocate a section table from hostile values.
 */
static void drop_section_headers(unsigned char *img, size_t len)
{
	if (len >= sizeof(Elf64_Ehdr) && img[EI_CLASS] == ELFCLASS64) {
		memset(img + offsetof(Elf64_Ehdr, e_shoff), 0, sizeof(Elf64_Off));
		memset(img + offsetof(Elf64_Ehdr, e_shnum), 0, 2 * sizeof(Elf64_Half));
	} else if (len >= sizeof(Elf32_Ehdr) && img[EI_CLASS] == ELFCLASS32) {
		memset(img + offsetof(Elf32_Ehdr, e_shoff), 0, sizeof(Elf32_Off));
		memset(img + offsetof(Elf32_Ehdr, e_shnum), 0, 2 * sizeof(Elf32_Half));
	}
}

/* PT_INTERP's string, if it lies whole within the prefix and is NUL-terminated there. */
static int read_interp(const unsigned char *head, size_t len, const GElf_Phdr *ph,
		       char **ret_interp)
{
	const unsigned char *s, *nul;

	/* binfmt_elf refuses interpreters longer than PATH_MAX */
	if (ph->p_filesz < 2 || ph->p_filesz > PATH_MAX)
		return 0;
	if (ph->p_offset > len || len - ph->p_offset < ph->p_filesz)
		return 0;
	s = head + ph->p_offset;
	nul = memchr(s, '\0', ph->p_filesz);
	if (!nul || nul == s)
		return 0;
	*ret_interp = strndup((const char *)s, (size_t)(nul - s));
	return *ret_interp ? 0 : -ENOMEM;
}

static int classify_elf(const unsigned char *head, size_t len, enum sw_exec_class *ret_class,
			char **ret_interp)
{
	enum sw_exec_class class = SW_EXEC_ELF_OTHER;
	unsigned char *img = NULL;
	bool has_interp = false;
	Elf *elf = NULL;
	GElf_Ehdr ehdr;
	size_t phnum;
	int err = 0;

	pthread_once(&elf_once, elf_init);
	if (!elf_ready)
		goto cleanup;
	img = malloc(len);
	if (!img) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(img, head, len);
	drop_section_headers(img, len);
	elf = elf_memory((char *)img, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		goto cleanup;
	if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)
		goto cleanup;
	/*
	 * libelf reports zero program headers when the table lies past the
	 * buffer: check that the whole table is inside the prefix ourselves.
	 */
	phnum = ehdr.e_phnum;
	if (phnum == PN_XNUM || ehdr.e_phentsize == 0 ||
	    ehdr.e_phentsize != gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT))
		goto cleanup;
	if (ehdr.e_phoff > len || (len - ehdr.e_phoff) / ehdr.e_phentsize < phnum)
		goto cleanup;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			goto cleanup;
		if (ph.p_type == PT_INTERP) {
			/* the kernel uses the first PT_INTERP */
			has_interp = true;
			err = read_interp(head, len, &ph, ret_interp);
			break;
		}
	}
	if (ehdr.e_type == ET_EXEC)
		class = SW_EXEC_ELF_EXEC;
	else
		class = has_interp ? SW_EXEC_ELF_PIE : SW_EXEC_ELF_SHARED;
cleanup:
	elf_end(elf);
	free(img);
	*ret_class = class;
	return err;
}

int exec_classify(const unsigned char *head, size_t len, uint64_t file_size,
		  enum sw_exec_class *ret_class, char **ret_interp)
{
	*ret_class = SW_EXEC_NONE;
	*ret_interp = NULL;
	if (len > SW_CLASSIFY_HEAD)
		len = SW_CLASSIFY_HEAD;
	if (len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
		return classify_elf(head, len, ret_class, ret_interp);
	if (len >= 2 && head[0] == '#' && head[1] == '!') {
		*ret_class = SW_EXEC_SCRIPT;
		return classify_script(head, len, file_size, ret_interp);
	}
	return 0;
}
