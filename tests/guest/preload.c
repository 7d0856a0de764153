// SPDX-License-Identifier: GPL-2.0
/* libkt-preload.so: proves that LD_PRELOAD was honoured (see secure.c). */
int kt_preload_marker = 1;
