// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: generic part.
 *
 * For now this only parses the "kml=" boot parameter and reports the
 * state at boot.  Executing programs at CPL0 is not implemented yet.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/cache.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

static bool kml_enabled __ro_after_init = true;

/* kml=off disables Kernel Mode Linux for this boot; kml=on is the default. */
static int __init kml_setup(char *arg)
{
	if (!arg)
		return -EINVAL;
	if (!strcmp(arg, "off"))
		kml_enabled = false;
	else if (!strcmp(arg, "on"))
		kml_enabled = true;
	else
		pr_warn("unknown kml=%s ignored (use on or off)\n", arg);
	return 0;
}
early_param("kml", kml_setup);

static int __init kml_report(void)
{
	pr_info("Kernel Mode Linux %s; ring-0 execution is not implemented in this build\n",
		kml_enabled ? "enabled" : "disabled by kml=off");
	return 0;
}
late_initcall(kml_report);
