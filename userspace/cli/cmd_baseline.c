// SPDX-License-Identifier: GPL-2.0-only
/* sealwatch baseline IMAGE -o FILE */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imageref.h"
#include "baseline.h"
#include "cli_options.h"
#include "commands.h"
#include "errors.h"
#include "exitcode.h"
#include "image.h"
#include "log.h"
#include "registry.h"
#include "store.h"

static void baseline_usage(FILE *out)
{
	fprintf(out,
		"Usage: sealwatch baseline IMAGE -o FILE [OPTIONS]\n\n"
		"Merge the layers of IMAGE, hash every file and write a baseline (JSON Lines).\n\n"
		"IMAGE:\n"
		"  oci:DIR[:REF]             OCI image layout; REF picks a tagged image\n"
		"  docker-archive:TAR[:NAME] `docker save` / skopeo archive\n"
		"  dir:ROOTFS                a directory tree (host baseline)\n"
		"  registry://HOST[:PORT]/REPO[:TAG|@DIGEST]  an image in a registry: layers\n"
		"                            streamed, digests checked, nothing extracted\n\n"
		"Options:\n"
		"  -o, --output FILE     where to write the baseline ('-' for stdout)\n"
		"      --name NAME       image name recorded in the header, normalized\n"
		"                        (nginx:1.25 -> docker.io/library/nginx:1.25)\n"
		"      --platform P      os/arch[/variant] to pick from an index (default linux/amd64)\n"
		"  -j, --jobs N          worker threads (default: online CPUs)\n"
		"      --exclude GLOB    dir: skip paths matching GLOB (repeatable)\n"
		"      --include PATH    dir: walk only PATH (absolute, repeatable), e.g. /usr\n"
		"      --allow-devices   record device nodes found in layers instead of failing\n"
		"      --max-bytes N     limit on uncompressed layer bytes (default 64 GiB)\n"
		"      --max-entries N   limit on entries (default 4000000)\n"
		"      --max-ratio N     limit on the decompression ratio (default 1000)\n"
		"      --insecure        registry://: plain HTTP (labs and tests)\n"
		"      --ca-file PEM     registry://: CA bundle for TLS (default: system)\n"
		"      --auth-file JSON  registry://: docker config.json with credentials\n"
		"      --token-file F    registry://: bearer token for the registry\n"
		"  -v, --verbose         debug output\n"
		"  -h, --help            this help\n\n"
		"Exit codes: 0 ok, 2 usage, 3 bad input, 5 I/O error, 6 limit exceeded.\n");
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Write to a temporary file beside @path and rename: no partial output on failure. */
static int write_baseline(const char *path, const struct sw_image *img, struct sw_error *err)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ret;

	if (!strcmp(path, "-")) {
		ret = baseline_write(stdout, &img->hdr, img->entries, img->n, err);
		if (!ret && fflush(stdout))
			ret = sw_error_set(err, -errno, "stdout: %s", strerror(errno));
		return ret;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return sw_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	fchmod(fd, 0644);
	ret = baseline_write(f, &img->hdr, img->entries, img->n, err);
	if (!ret && (fflush(f) || fsync(fd)))
		ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fclose(f) && !ret)
		ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!ret && rename(tmp, path))
		ret = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!ret)
		return 0;
fail:
	unlink(tmp);
	return ret;
}

/* --max-bytes, --max-entries, --max-ratio (@c: B, E, R) into @o: 0 or -1 (logged). */
static int limit_flag(int c, struct sw_image_opts *o)
{
	uint64_t v;

	if (parse_u64(optarg, &v) || (c == 'R' && v > UINT32_MAX)) {
		log_error("baseline: invalid number '%s'", optarg);
		return -1;
	}
	if (c == 'B')
		o->limits.max_bytes = v;
	else if (c == 'E')
		o->limits.max_entries = v;
	else
		o->limits.max_ratio = (uint32_t)v;
	return 0;
}

static const struct option baseline_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "name", required_argument, NULL, 'n' },
	CLI_IMAGE_OPTIONS,
	{ "jobs", required_argument, NULL, 'j' },
	{ "include", required_argument, NULL, 'i' },
	{ "max-bytes", required_argument, NULL, 'B' },
	{ "max-entries", required_argument, NULL, 'E' },
	{ "max-ratio", required_argument, NULL, 'R' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	CLI_REGISTRY_OPTIONS,
	{ 0 },
};

/* One option of baseline's own (not an image's or a registry's): 0, 1 after --help, or -1. */
static int baseline_option(int c, struct sw_image_opts *o, const char **output)
{
	uint64_t v;

	switch (c) {
	case 'o':
		*output = optarg;
		return 0;
	case 'n':
		o->name = optarg;
		return 0;
	case 'j':
		if (parse_u64(optarg, &v) || v == 0 || v > 64) {
			log_error("baseline: --jobs wants 1..64, not '%s'", optarg);
			return -1;
		}
		o->jobs = (unsigned int)v;
		return 0;
	case 'i':
		o->includes[o->n_includes++] = optarg;
		return 0;
	case 'B':
	case 'E':
	case 'R':
		return limit_flag(c, o);
	case 'v':
		log_set_level(SW_LOG_DEBUG);
		return 0;
	case 'h':
		baseline_usage(stdout);
		return 1;
	default:
		log_error("baseline: try 'sealwatch baseline --help'");
		return -1;
	}
}

/* The command line into @o and *@output: 0, 1 after --help, or -1 (usage error, logged). */
static int parse_baseline_args(int argc, char **argv, struct sw_image_opts *o, struct reg_opts *ro,
			       const char **output)
{
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:vh", baseline_options, NULL)) != -1) {
		if (cli_image_option(c, o) || cli_registry_option(c, ro))
			continue;
		r = baseline_option(c, o, output);
		if (r)
			return r;
	}
	if (optind != argc - 1 || !*output) {
		log_error("baseline: need one IMAGE and -o FILE (see --help)");
		return -1;
	}
	return 0;
}

/* registry://REF: the registry as an OCI layout (reg_open_store), read like one. */
static int load_registry(const char *spec, const struct reg_opts *ro, const struct sw_image_opts *o,
			 struct sw_image **ret, struct sw_error *err)
{
	struct store *st = NULL;
	struct reg_ref ref;
	char *name = NULL;
	int r;

	r = reg_ref_parse(spec, &ref, err);
	if (r)
		return r;
	r = reg_open_store(ro, &ref, &st, &name, err);
	if (!r)
		r = image_load_store(st, "registry", o, ret, err);
	if (r && name)
		sw_error_prefix(err, r, "%s", name);
	store_free(st);
	free(name);
	reg_ref_clear(&ref);
	return r;
}

int cmd_baseline(int argc, char **argv)
{
	struct reg_opts ro = { .auth_file = cli_default_auth_file() };
	struct sw_image_opts o;
	struct sw_image *img = NULL;
	struct sw_error err = { { 0 } };
	const char *output = NULL;
	char name[1100];
	int ret, code = SW_EXIT_USAGE;

	image_opts_init(&o);
	o.excludes = calloc((size_t)argc, sizeof(char *));
	o.includes = calloc((size_t)argc, sizeof(char *));
	if (!o.excludes || !o.includes) {
		free(o.excludes);
		free(o.includes);
		return SW_EXIT_IO;
	}
	ret = parse_baseline_args(argc, argv, &o, &ro, &output);
	if (ret) {
		code = ret > 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
		goto out;
	}
	/* the resolver compares names in this form: nginx:1.25 is docker.io/library/nginx:1.25 */
	if (o.name) {
		if (imageref_normalize(o.name, name, sizeof(name))) {
			log_error("baseline: --name '%s' is not an image reference "
				  "([DOMAIN/]PATH[:TAG][@DIGEST], lowercase path)",
				  o.name);
			goto out;
		}
		o.name = name;
	}
	if (!strncmp(argv[optind], "registry://", 11))
		ret = load_registry(argv[optind], &ro, &o, &img, &err);
	else
		ret = image_load(argv[optind], &o, &img, &err);
	if (!ret)
		ret = write_baseline(output, img, &err);
	if (ret) {
		log_error("baseline: %s", err.msg[0] ? err.msg : strerror(-ret));
		code = sw_exit_from_errno(ret);
		goto out;
	}
	log_info("baseline: %zu entries from %s written to %s", img->n, argv[optind], output);
	code = SW_EXIT_OK;
out:
	image_free(img);
	free(o.excludes);
	free(o.includes);
	return code;
}
