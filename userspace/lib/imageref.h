/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Image references in one canonical form, the same at `baseline --name` and
 * in the container resolver, so that "nginx:1.25",
 * "docker.io/library/nginx:1.25" and "index.docker.io/library/nginx:1.25"
 * are one name. The grammar is the distribution/reference one (docker, podman,
 * containerd): DOMAIN/PATH[:TAG][@DIGEST], lowercase path components.
 */
#ifndef SW_IMAGEREF_H
#define SW_IMAGEREF_H

#include <stddef.h>

/*
 * @in in canonical form into @out: the domain made explicit ("docker.io" when
 * the first component has no ".", ":" and is not "localhost";
 * "index.docker.io" is "docker.io"), "library/" for single-component Docker
 * Hub names, ":latest" when neither tag nor digest is given. 0, -EINVAL (not
 * a reference: uppercase path, empty component, bad tag or digest, control
 * characters…), -ENAMETOOLONG.
 */
int imageref_normalize(const char *in, char *out, size_t size);

#endif
