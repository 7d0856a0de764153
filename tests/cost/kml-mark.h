/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Region markers for the cost plugin (tests/cost/kml-costs.c): NOPs that
 * do nothing on a CPU and make the plugin write a snapshot of its
 * instruction-class counters.  A program marks each measured region with
 * kml_mark_begin() ... kml_mark_end() and then prints one line that says
 * how to weigh the regions it just marked (scripts/costs.py):
 *
 *   KMLCOSTRUN: <name> <mode> <batch|cal> ops=<n> w=<w1>,<w2>,...
 *
 * one weight per region, in order: the per-operation count of a class is
 * sum(w_i * count in region i) / n.  "cal" lines (warm-up and calibration
 * runs) are consumed and dropped.  Only one process at a time may mark.
 */
#ifndef KML_MARK_H
#define KML_MARK_H

static inline __attribute__((always_inline)) void kml_mark_begin(void)
{
	__asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x4b, 0x4d, 0x4c, 0x42" ::: "memory");
}

static inline __attribute__((always_inline)) void kml_mark_end(void)
{
	__asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x4b, 0x4d, 0x4c, 0x45" ::: "memory");
}

#endif
