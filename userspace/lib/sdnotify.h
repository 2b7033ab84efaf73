/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The systemd notification protocol (sd_notify(3)), without libsystemd: one
 * datagram to $NOTIFY_SOCKET. Nothing happens when the variable is unset
 * (not started by systemd, or Type= is not notify).
 */
#ifndef SW_SDNOTIFY_H
#define SW_SDNOTIFY_H

#include <stdint.h>

/* Send @state ("READY=1", "WATCHDOG=1", "STOPPING=1"); 0, or a negative errno. */
int sdnotify_send(const char *state);
/* $WATCHDOG_USEC when $WATCHDOG_PID is unset or ours; 0: no watchdog asked for. */
uint64_t sdnotify_watchdog_usec(void);

#endif
