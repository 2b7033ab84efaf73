// SPDX-License-Identifier: GPL-2.0-only
/* `sealwatch profile lock|unlock|reset|show|export` (docs/profiles.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "errors.h"
#include "exitcode.h"
#include "fileio.h"
#include "log.h"
#include "profile.h"

static void profile_usage(void)
{
	printf("Usage: sealwatch profile lock|unlock|reset|show|export [--profile-dir DIR]\n"
	       "                         [-o FILE] IMAGE\n\n"
	       "The learned behaviour of an image (docs/profiles.md). IMAGE is its image ID\n"
	       "(sha256:HEX, HEX, or a unique HEX prefix). A running daemon takes a change in\n"
	       "within a second.\n\n"
	       "  lock     stop learning: from now on a new element is an anomaly\n"
	       "  unlock   learn again (the stability clock restarts); not a signed profile\n"
	       "  reset    remove the profile (and its signature): learned again from scratch\n"
	       "  show     state, age, sizes and every element\n"
	       "  export   the deterministic JSON form (sorted, no times or counts) to sign\n"
	       "           with `sealwatch sign` and ship: a daemon loads FILE + FILE.sig\n"
	       "           placed in its profile dir as locked for good\n\n"
	       "  -d, --profile-dir DIR  the daemon's profile dir (default " SW_DEFAULT_PROFILE_DIR
	       ")\n"
	       "  -o, --output FILE      export: write FILE (default: stdout)\n"
	       "  -h, --help             show this help\n\n"
	       "Exit codes: 0 ok, 2 usage, 3 malformed profile, 4 a signed profile cannot be\n"
	       "unlocked, 5 I/O error (including no profile for IMAGE).\n");
}

static int fail(int err, const struct sw_error *e)
{
	log_error("%s", e->msg[0] ? e->msg : strerror(-err));
	return sw_exit_from_errno(err);
}

static bool is_signed(const char *path)
{
	char sig[PATH_MAX + 8];

	snprintf(sig, sizeof(sig), "%s.sig", path);
	return !access(sig, F_OK);
}

static int set_state(const char *path, struct profile *p, enum profile_state st)
{
	struct sw_error e = { { 0 } };
	int r;

	if (st == PROFILE_LEARNING && is_signed(path)) {
		log_error("%s is signed: it is never relearned (reset removes it)", path);
		return SW_EXIT_BAD_SIGNATURE;
	}
	if (is_signed(path)) {
		printf("%s: signed, locked already\n", path);
		return SW_EXIT_OK;
	}
	profile_set_state(p, st, time(NULL));
	r = profile_save(p, path, &e);
	if (r)
		return fail(r, &e);
	printf("%s: %s\n", path, profile_state_name(st));
	return SW_EXIT_OK;
}

static int do_export(struct profile *p, const char *out)
{
	struct sw_error e = { { 0 } };
	size_t len;
	char *text = profile_json(p, true, &len);
	int r = 0;

	if (!text)
		return fail(-ENOMEM, &e);
	if (out)
		r = file_write_atomic(out, text, len, 0644, &e);
	else if (fwrite(text, 1, len, stdout) != len)
		r = sw_error_set(&e, -EIO, "stdout: write error");
	free(text);
	return r ? fail(r, &e) : SW_EXIT_OK;
}

static int do_reset(const char *path)
{
	char sig[PATH_MAX + 8];

	snprintf(sig, sizeof(sig), "%s.sig", path);
	if (unlink(path) && errno != ENOENT) {
		log_error("%s: %s", path, strerror(errno));
		return SW_EXIT_IO;
	}
	if (unlink(sig) && errno != ENOENT) {
		log_error("%s: %s", sig, strerror(errno));
		return SW_EXIT_IO;
	}
	printf("%s: removed\n", path);
	return SW_EXIT_OK;
}

static int do_action(const char *action, const char *path, const char *out)
{
	struct sw_error e = { { 0 } };
	struct profile_limits lim;
	struct profile *p = NULL;
	int r;

	if (!strcmp(action, "reset"))
		return do_reset(path);
	profile_limits_default(&lim);
	r = profile_load(path, &lim, &p, &e);
	if (r)
		return fail(r, &e);
	if (!strcmp(action, "lock"))
		r = set_state(path, p, PROFILE_LOCKED);
	else if (!strcmp(action, "unlock"))
		r = set_state(path, p, PROFILE_LEARNING);
	else if (!strcmp(action, "export"))
		r = do_export(p, out);
	else {
		char *text = profile_json(p, false, NULL);
		size_t n_exes, n_edges, n_users;

		profile_sizes(p, &n_exes, &n_edges, &n_users);
		printf("# %s: %s%s, %zu executables, %zu edges, %zu users\n", path,
		       profile_state_name(profile_get_state(p)), is_signed(path) ? " (signed)" : "",
		       n_exes, n_edges, n_users);
		fputs(text ? text : "", stdout);
		free(text);
		r = SW_EXIT_OK;
	}
	profile_free(p);
	return r;
}

int cmd_profile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile-dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const actions[] = { "lock", "unlock", "reset", "show", "export" };
	const char *dir = SW_DEFAULT_PROFILE_DIR, *out = NULL, *action;
	struct sw_error e = { { 0 } };
	char path[PATH_MAX];
	bool known = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			profile_usage();
			return SW_EXIT_OK;
		default:
			return cli_bad_option("profile", c, argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("profile", "an action and an IMAGE are required");
	action = argv[optind];
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		known = known || !strcmp(action, actions[i]);
	if (!known)
		return cli_usage_error("profile", "unknown action '%s'", action);
	if (out && strcmp(action, "export"))
		return cli_usage_error("profile", "-o is for export only");
	r = profile_path(dir, argv[optind + 1], path, sizeof(path), &e);
	if (r)
		return r == -EINVAL ? cli_usage_error("profile", "%s", e.msg) : fail(r, &e);
	return do_action(action, path, out);
}
