// SPDX-License-Identifier: GPL-2.0-only
/* elfclass.c: executable class from a file's first bytes (libelf, #!). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "elfclass.h"

struct head {
	unsigned char buf[SW_CLASSIFY_HEAD];
	size_t len;
	uint64_t size;
};

/* The first SW_CLASSIFY_HEAD bytes of @path, as the hasher keeps them. */
static int read_head(const char *path, struct head *h)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	h->len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	h->size = (uint64_t)st.st_size;
	while (h->len < sizeof(h->buf)) {
		ssize_t n = read(fd, h->buf + h->len, sizeof(h->buf) - h->len);

		if (n <= 0)
			break;
		h->len += (size_t)n;
	}
	close(fd);
	return 0;
}

static void check_file(const char *path, enum sw_exec_class want, const char *want_interp)
{
	static struct head h;
	enum sw_exec_class class = SW_EXEC__COUNT;
	char *interp = NULL;

	if (read_head(path, &h) < 0) {
		fprintf(stderr, "  cannot read %s\n", path);
		check_current_failed = 1;
		return;
	}
	CHECK_INT(exec_classify(h.buf, h.len, h.size, &class, &interp), 0);
	CHECK_STR(entry_exec_class_name(class), entry_exec_class_name(want));
	if (want_interp)
		CHECK_STR(interp, want_interp);
	else
		CHECK(interp == NULL);
	free(interp);
}

static void check_mem(const void *buf, size_t len, uint64_t size, enum sw_exec_class want,
		      const char *want_interp)
{
	enum sw_exec_class class = SW_EXEC__COUNT;
	char *interp = (char *)"unset";

	CHECK_INT(exec_classify(buf, len, size, &class, &interp), 0);
	CHECK_STR(entry_exec_class_name(class), entry_exec_class_name(want));
	if (want_interp)
		CHECK_STR(interp, want_interp);
	else
		CHECK(interp == NULL);
	free(interp);
}

static void check_script(const char *text, const char *want_interp)
{
	check_mem(text, strlen(text), strlen(text), SW_EXEC_SCRIPT, want_interp);
}

TEST(real_binaries)
{
	/* Debian 12: ls is PIE, busybox-static is a static ET_EXEC (`file`, readelf -h) */
	check_file("/bin/ls", SW_EXEC_ELF_PIE, "/lib64/ld-linux-x86-64.so.2");
	check_file("/bin/busybox", SW_EXEC_ELF_EXEC, NULL);
}

TEST(real_libraries)
{
	check_file("/lib/x86_64-linux-gnu/libjansson.so.4", SW_EXEC_ELF_SHARED, NULL);
	check_file("/lib64/ld-linux-x86-64.so.2", SW_EXEC_ELF_SHARED, NULL);
	/*
	 * glibc's libc.so.6 is runnable: it has a PT_INTERP (so ET_DYN +
	 * PT_INTERP = elf_pie), whose string lies ~1.6 MiB in, past the prefix.
	 */
	check_file("/lib/x86_64-linux-gnu/libc.so.6", SW_EXEC_ELF_PIE, NULL);
}

TEST(real_scripts)
{
	check_file("/usr/bin/zgrep", SW_EXEC_SCRIPT, "/bin/sh");
	check_file("/usr/bin/ldd", SW_EXEC_SCRIPT, "/bin/bash");
}

TEST(truncated_and_garbage)
{
	static struct head h;
	static const unsigned char zeros[4096];
	static const char elf_garbage[] =
		"\x7f"
		"ELF garbage garbage garbage garbage garbage garbage garbage";

	CHECK_INT(read_head("/bin/ls", &h), 0);
	check_mem(h.buf, 20, h.size, SW_EXEC_ELF_OTHER, NULL);
	check_mem(h.buf, 4, h.size, SW_EXEC_ELF_OTHER, NULL);
	check_mem(h.buf, 3, h.size, SW_EXEC_NONE, NULL);
	check_mem(h.buf, 64, h.size, SW_EXEC_ELF_OTHER, NULL); /* header only: no phdrs */
	check_mem(h.buf, 100, h.size, SW_EXEC_ELF_OTHER, NULL); /* phdr table cut */
	check_mem(h.buf, 0, 0, SW_EXEC_NONE, NULL);
	check_mem("hello, world\n", 13, 13, SW_EXEC_NONE, NULL);
	check_mem(zeros, sizeof(zeros), sizeof(zeros), SW_EXEC_NONE, NULL);
	check_mem("#", 1, 1, SW_EXEC_NONE, NULL);
	check_mem(" #!/bin/sh\n", 11, 11, SW_EXEC_NONE, NULL);
	check_mem(elf_garbage, sizeof(elf_garbage) - 1, sizeof(elf_garbage) - 1, SW_EXEC_ELF_OTHER,
		  NULL);
}

TEST(scripts)
{
	char long_interp[300], want[256];

	check_script("#!/bin/sh\necho hi\n", "/bin/sh");
	check_script("#! /usr/bin/env python3\n", "/usr/bin/env");
	check_script("#!\t /bin/bash -e\n", "/bin/bash");
	check_script("#!/bin/sh\r\n", "/bin/sh\r"); /* what the kernel would run */
	check_script("#!/bin/sh", "/bin/sh"); /* whole short file, no newline */
	check_script("#!\n/bin/sh\n", NULL);
	check_script("#!   \n", NULL);
	check_script("#!", NULL);
	/* a prefix of a longer file: the name may go on past the prefix */
	check_mem("#!/bin/sh", 9, 1000, SW_EXEC_SCRIPT, NULL);
	/* interpreter names cut by the kernel's 256-byte buffer are refused */
	memcpy(long_interp, "#!/", 3);
	memset(long_interp + 3, 'a', sizeof(long_interp) - 4);
	long_interp[sizeof(long_interp) - 1] = '\n';
	check_mem(long_interp, sizeof(long_interp), sizeof(long_interp), SW_EXEC_SCRIPT, NULL);
	/* ...unless a space ends the name within it */
	long_interp[255] = ' ';
	memcpy(want, long_interp + 2, 253);
	want[253] = '\0';
	check_mem(long_interp, sizeof(long_interp), sizeof(long_interp), SW_EXEC_SCRIPT, want);
}

/* A minimal ELF64 little-endian image: header, program headers, an interp string. */
static size_t build_elf(unsigned char *buf, uint16_t type, const char *interp, size_t interp_len,
			uint64_t interp_off)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	memset(buf, 0, 512);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	/* hostile section header fields: must not matter */
	eh->e_shoff = 0xffffffffffff;
	eh->e_shnum = 0;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	ph[0].p_type = PT_LOAD;
	ph[1].p_type = interp ? PT_INTERP : PT_NOTE;
	ph[1].p_offset = interp_off;
	ph[1].p_filesz = interp_len;
	if (interp && interp_len <= 512 && interp_off <= 512 - interp_len)
		memcpy(buf + interp_off, interp, interp_len);
	return 512;
}

TEST(synthetic_elf)
{
	unsigned char buf[512];
	size_t n;

	n = build_elf(buf, ET_DYN, "/lib/ld.so", 11, 300);
	check_mem(buf, n, n, SW_EXEC_ELF_PIE, "/lib/ld.so");
	n = build_elf(buf, ET_EXEC, "/lib/ld.so", 11, 300);
	check_mem(buf, n, n, SW_EXEC_ELF_EXEC, "/lib/ld.so");
	n = build_elf(buf, ET_DYN, NULL, 0, 0);
	check_mem(buf, n, n, SW_EXEC_ELF_SHARED, NULL);
	n = build_elf(buf, ET_EXEC, NULL, 0, 0);
	check_mem(buf, n, n, SW_EXEC_ELF_EXEC, NULL);
	n = build_elf(buf, ET_REL, NULL, 0, 0);
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
	n = build_elf(buf, ET_CORE, NULL, 0, 0);
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
	/* interp not NUL-terminated within p_filesz */
	n = build_elf(buf, ET_DYN, "/lib/ld.soX", 10, 300);
	buf[310] = 'X';
	check_mem(buf, n, n, SW_EXEC_ELF_PIE, NULL);
	/* interp beyond the prefix, or overflowing offsets */
	n = build_elf(buf, ET_DYN, "/lib/ld.so", 11, 505);
	check_mem(buf, n, n, SW_EXEC_ELF_PIE, NULL);
	n = build_elf(buf, ET_DYN, "/lib/ld.so", 11, UINT64_MAX - 3);
	check_mem(buf, n, n, SW_EXEC_ELF_PIE, NULL);
	/* empty interp string */
	n = build_elf(buf, ET_DYN, "", 1, 300);
	check_mem(buf, n, n, SW_EXEC_ELF_PIE, NULL);
	/* program header table past the buffer */
	n = build_elf(buf, ET_DYN, NULL, 0, 0);
	((Elf64_Ehdr *)buf)->e_phnum = 100;
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
	((Elf64_Ehdr *)buf)->e_phnum = PN_XNUM;
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
	/* a wrong e_phentsize */
	n = build_elf(buf, ET_DYN, NULL, 0, 0);
	((Elf64_Ehdr *)buf)->e_phentsize = 0;
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
	/* unknown ELF class byte */
	n = build_elf(buf, ET_DYN, NULL, 0, 0);
	buf[EI_CLASS] = 7;
	check_mem(buf, n, n, SW_EXEC_ELF_OTHER, NULL);
}

TEST(elf32_big_endian)
{
	unsigned char buf[256] = { 0 };
	Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	/* big-endian fields written byte by byte */
	buf[16] = 0, buf[17] = ET_EXEC; /* e_type */
	buf[18] = 0, buf[19] = EM_MIPS; /* e_machine */
	buf[23] = EV_CURRENT; /* e_version */
	buf[31] = sizeof(Elf32_Ehdr); /* e_phoff = 52 */
	buf[41] = sizeof(Elf32_Ehdr); /* e_ehsize */
	buf[43] = sizeof(Elf32_Phdr); /* e_phentsize = 32 */
	buf[45] = 1; /* e_phnum */
	buf[52 + 3] = PT_INTERP; /* p_type */
	buf[52 + 7] = 200; /* p_offset */
	buf[52 + 19] = 9; /* p_filesz */
	memcpy(buf + 200, "/lib/ld\0", 8);
	check_mem(buf, sizeof(buf), sizeof(buf), SW_EXEC_ELF_EXEC, "/lib/ld");
}

static void *classify_loop(void *arg)
{
	const struct head *h = arg;
	long bad = 0;

	for (int i = 0; i < 300; i++) {
		enum sw_exec_class class;
		char *interp = NULL;

		if (exec_classify(h->buf, h->len, h->size, &class, &interp) ||
		    class != SW_EXEC_ELF_PIE || !interp ||
		    strcmp(interp, "/lib64/ld-linux-x86-64.so.2"))
			bad++;
		free(interp);
	}
	return (void *)bad;
}

TEST(concurrent_threads)
{
	static struct head h;
	pthread_t t[8];

	CHECK_INT(read_head("/bin/ls", &h), 0);
	for (int i = 0; i < 8; i++)
		CHECK_INT(pthread_create(&t[i], NULL, classify_loop, &h), 0);
	for (int i = 0; i < 8; i++) {
		void *bad = NULL;

		pthread_join(t[i], &bad);
		CHECK(bad == NULL);
	}
}

int main(void)
{
	RUN(real_binaries);
	RUN(real_libraries);
	RUN(real_scripts);
	RUN(truncated_and_garbage);
	RUN(scripts);
	RUN(synthetic_elf);
	RUN(elf32_big_endian);
	RUN(concurrent_threads);
	return check_exit();
}
