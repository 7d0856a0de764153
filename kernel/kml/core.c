// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: generic part.
 *
 *  - the kml= boot parameter;
 *  - the exec-time decision: a program runs at CPL 0 iff the file actually
 *    mapped (bprm->file, resolved to its absolute path, not the string
 *    given to execve) lies under the trusted directory, and that file and
 *    every directory above it up to the root are root-owned and not
 *    writable by group or others.  Otherwise it runs normally and, if it
 *    was under the trusted directory, the kernel says why (rate-limited);
 *  - the "KernelMode:" line of /proc/<pid>/status.
 *
 * See Documentation/kml.rst.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/cache.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kml.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

bool kml_enabled __ro_after_init = true;

static const char kml_trusted_dir[] = "/trusted";

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

static bool kml_inode_trusted(const struct inode *inode)
{
	/* root-owned, not writable by group (020) or others (002) */
	return uid_eq(inode->i_uid, GLOBAL_ROOT_UID) && !(inode->i_mode & 0022);
}

/*
 * Every directory from the file's parent up to the root of the mount
 * namespace must be root-owned and not writable by group or others:
 * otherwise someone else could replace a component of the path.
 */
static bool kml_ancestors_trusted(const struct path *file_path)
{
	struct path p = *file_path;
	bool ok = true;

	path_get(&p);
	for (;;) {
		struct dentry *parent;

		if (p.dentry == p.mnt->mnt_root) {
			if (!follow_up(&p))
				break;
			continue;
		}
		parent = dget_parent(p.dentry);
		dput(p.dentry);
		p.dentry = parent;
		if (!kml_inode_trusted(d_inode(parent))) {
			ok = false;
			break;
		}
	}
	path_put(&p);
	return ok;
}

/*
 * Returns true if @bprm may run in kernel mode.  @path_out receives the
 * resolved path when the file lies under the trusted directory, so that a
 * refusal can be reported.
 */
static bool kml_file_trusted(struct linux_binprm *bprm, char *buf, int len,
			     const char **path_out, const char **why)
{
	const size_t dlen = sizeof(kml_trusted_dir) - 1;
	const char *path;

	*path_out = NULL;
	path = d_absolute_path(&bprm->file->f_path, buf, len);
	if (IS_ERR(path))
		return false;
	if (strncmp(path, kml_trusted_dir, dlen) || path[dlen] != '/')
		return false;
	*path_out = path;

	if (bprm->interp != bprm->filename) {
		*why = "started through an interpreter (#! or binfmt_misc)";
		return false;
	}
	if (!kml_inode_trusted(file_inode(bprm->file))) {
		*why = "the file is not root-owned or is writable by group or others";
		return false;
	}
	if (!kml_ancestors_trusted(&bprm->file->f_path)) {
		*why = "a directory on its path is not root-owned or is group/other-writable";
		return false;
	}
	return true;
}

void kml_exec_grant(struct linux_binprm *bprm)
{
	const char *path, *why = NULL;
	char *buf;

	if (!kml_enabled)
		return;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return;		/* the program runs in user mode */
	if (kml_file_trusted(bprm, buf, PATH_MAX, &path, &why))
		arch_kml_grant_mm(bprm->mm);
	else if (path && why)
		pr_notice_ratelimited("%s runs in user mode: %s\n", path, why);
	kfree(buf);
}

void kml_proc_status(struct seq_file *m, struct mm_struct *mm)
{
	seq_printf(m, "KernelMode:\t%d\n", arch_kml_mm(mm) ? 1 : 0);
}

static int __init kml_report(void)
{
	if (kml_enabled)
		pr_info("Kernel Mode Linux enabled: programs under %s/ run at CPL 0\n",
			kml_trusted_dir);
	else
		pr_info("Kernel Mode Linux disabled\n");
	return 0;
}
late_initcall(kml_report);
