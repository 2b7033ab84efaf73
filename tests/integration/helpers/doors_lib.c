// SPDX-License-Identifier: GPL-2.0-only
/* libsw.so for test_doors.sh; -DSW_VALUE=n gives a library with other content. */
#ifndef SW_VALUE
#define SW_VALUE 42
#endif

int sw_lib_value(void)
{
	return SW_VALUE;
}
