/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to config/: what config.c and config_file.c share. */
#ifndef SW_CONFIG_INTERNAL_H
#define SW_CONFIG_INTERNAL_H

struct sw_config;

/*
 * Append a trusted identity (@identity or @identity_regexp may be NULL);
 * -E2BIG when full, -ENOMEM (the slot is taken and freed by config_clear()).
 */
int config_identity_push(struct sw_config *c, const char *issuer, const char *identity,
			 const char *identity_regexp);

#endif
