/* SPDX-License-Identifier: GPL-2.0-only */
/* The version every part reports (--version, baselines' generator, build_info). */
#ifndef SW_VERSION_H
#define SW_VERSION_H

#define SW_VERSION "0.1.0"

#endif
