/* SPDX-License-Identifier: GPL-2.0-only */
/* Process exit codes of every sealwatch subcommand (documented in docs/cli.md). */
#ifndef SW_EXITCODE_H
#define SW_EXITCODE_H

enum sw_exit {
	SW_EXIT_OK = 0, /* success; `scan`: target identical to baseline */
	SW_EXIT_DIFFERS = 1, /* `scan`: target differs from the baseline */
	SW_EXIT_USAGE = 2, /* bad command line */
	SW_EXIT_BAD_INPUT = 3, /* malformed image, baseline, key, signature or config */
	SW_EXIT_BAD_SIGNATURE = 4, /* signature missing, invalid, or made by another key */
	SW_EXIT_IO = 5, /* I/O or system error (read, write, memory) */
	SW_EXIT_LIMIT = 6, /* a safety limit was exceeded (size, entries, ratio) */
};

/* Map a negative errno returned by a module to the exit code above. */
int sw_exit_from_errno(int err);

#endif
