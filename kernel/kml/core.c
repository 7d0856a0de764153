// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: generic part.
 *
 *  - the policy (kml= boot parameter, kernel.kml.policy sysctl): off, root
 *    (default: only a caller with euid 0 gets kernel mode) or all;
 *  - the trusted directory (kml_trusted_dir= boot parameter, default
 *    /trusted; kernel.kml.trusted_dir shows it);
 *  - the exec-time decision: a program runs at CPL 0 iff the policy lets
 *    the caller, the exec is not traced by an unprivileged tracer nor under
 *    no_new_privs, and every file of the exec (the program, and for a #!
 *    script or binfmt_misc, the script and its interpreter) lies under the
 *    trusted directory, resolved (not the string given to execve), with
 *    the file and every directory above it root-owned and not writable by
 *    group or others.  Otherwise the program runs normally and, if it was
 *    under the trusted directory, the kernel says why (rate-limited) and
 *    counts it;
 *  - a KML exec is a privilege grant like a setuid-root exec: not
 *    dumpable, and secure-exec (AT_SECURE) unless the caller may load
 *    kernel modules anyway (kml_caller_privileged()); ptrace attach,
 *    /proc/<pid>/mem and process_vm_{readv,writev} on a KML task need
 *    CAP_SYS_PTRACE in the initial user namespace;
 *  - counters in /sys/kernel/kml/ and the "KernelMode:" line of
 *    /proc/<pid>/status.
 *
 * See Documentation/kml.rst.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/cache.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kml.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/printk.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/spinlock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>

/* Set up by the architecture at boot unless kml=off or it refused. */
bool kml_enabled __ro_after_init = true;

enum kml_policy { KML_POLICY_OFF, KML_POLICY_ROOT, KML_POLICY_ALL };
static const char * const kml_policy_names[] = { "off", "root", "all" };
static int kml_policy = KML_POLICY_ROOT;

#define KML_DIR_MAX	256
static char kml_trusted_dir[KML_DIR_MAX] __ro_after_init = "/trusted";

static int kml_parse_policy(const char *s)
{
	int i;

	if (!strcmp(s, "on"))	/* the kml=on of earlier versions */
		return KML_POLICY_ROOT;
	for (i = 0; i < ARRAY_SIZE(kml_policy_names); i++)
		if (!strcmp(s, kml_policy_names[i]))
			return i;
	return -EINVAL;
}

/* kml=off|root|all; kml=off leaves the machinery off for the whole boot. */
static int __init kml_setup(char *arg)
{
	int p;

	if (!arg)
		return -EINVAL;
	p = kml_parse_policy(arg);
	if (p < 0) {
		pr_warn("unknown kml=%s ignored (use off, root or all)\n", arg);
		return 0;
	}
	kml_policy = p;
	kml_enabled = p != KML_POLICY_OFF;
	return 0;
}
early_param("kml", kml_setup);

/*
 * kml_trusted_dir=/abs/path: absolute, no trailing slash, no empty, "."
 * or ".." component, not "/" itself.
 */
static int __init kml_dir_setup(char *arg)
{
	const char *c;
	size_t len;

	if (!arg)
		return -EINVAL;
	len = strlen(arg);
	if (arg[0] != '/' || len < 2 || len >= KML_DIR_MAX || arg[len - 1] == '/')
		goto bad;
	for (c = arg; *c; c++) {
		if (*c != '/')
			continue;
		if (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2])) ||
		    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3])))
			goto bad;
	}
	strscpy(kml_trusted_dir, arg, sizeof(kml_trusted_dir));
	return 0;
bad:
	pr_warn("kml_trusted_dir=%s ignored: it must be an absolute, normalized directory path other than /\n",
		arg);
	return 0;
}
early_param("kml_trusted_dir", kml_dir_setup);

/* Counters: what ran at CPL 0, what did not and why. */
enum kml_stat {
	KML_GRANTED,
	KML_REFUSED_POLICY,	/* policy off, or root and the caller is not */
	KML_REFUSED_UNSAFE,	/* traced by an unprivileged tracer, no_new_privs, shared fs */
	KML_REFUSED_UNTRUSTED,	/* owner or mode of the file or a directory */
	KML_REFUSED_INTERPRETER,	/* a script or interpreter that does not qualify */
	KML_IMAGES_MAPPED,	/* text mapped from its patched copy */
	KML_NR_STATS
};
static const char * const kml_stat_names[KML_NR_STATS] = {
	"execs_granted", "refused_policy", "refused_unsafe",
	"refused_untrusted", "refused_interpreter",
	"images_mapped",
};
static atomic_long_t kml_stats[KML_NR_STATS];

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

/* Is @file under the trusted directory?  Returns its path if so, else NULL. */
static const char *kml_trusted_path(struct file *file, char *buf, int len)
{
	size_t dlen = strlen(kml_trusted_dir);
	const char *path;

	path = d_absolute_path(&file->f_path, buf, len);
	if (IS_ERR(path))
		return NULL;
	if (strncmp(path, kml_trusted_dir, dlen) || path[dlen] != '/')
		return NULL;
	return path;
}

/* Owner and mode of @file and of every directory above it. */
static bool kml_file_trusted(struct file *file)
{
	return kml_inode_trusted(file_inode(file)) &&
	       kml_ancestors_trusted(&file->f_path);
}

/*
 * exec_binprm() is about to replace @outer (a #! script, or a file handed
 * to a binfmt_misc interpreter) by its interpreter.  Kernel mode needs
 * every file of the chain to qualify: remember if this one does not.
 */
void kml_exec_interp(struct linux_binprm *bprm, struct file *outer)
{
	char *buf;

	if (!kml_enabled || bprm->kml_interp == KML_INTERP_UNTRUSTED)
		return;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (buf && kml_trusted_path(outer, buf, PATH_MAX) && kml_file_trusted(outer))
		bprm->kml_interp = KML_INTERP_TRUSTED;
	else
		bprm->kml_interp = KML_INTERP_UNTRUSTED;
	kfree(buf);
}

static void kml_refuse(enum kml_stat stat, const char *path, const char *why)
{
	atomic_long_inc(&kml_stats[stat]);
	pr_notice_ratelimited("%s runs in user mode: %s\n", path, why);
}

/*
 * Whether the caller of exec (its credentials are still current) gains no
 * privilege from kernel mode: it may load kernel modules (CAP_SYS_MODULE
 * in the initial user namespace), so it can run code of its choice in the
 * kernel already, as root can run any program as root.  Its environment
 * then needs no secure-exec, as root's needs none for a setuid-root
 * program; secure-exec costs every exec (glibc's start checks descriptors
 * 0-2 with fcntl() and scrubs the environment).  Not audited: a refusal
 * is no denial.
 */
static bool kml_caller_privileged(void)
{
	return security_capable(current_cred(), &init_user_ns, CAP_SYS_MODULE,
				CAP_OPT_NOAUDIT) == 0;
}

/*
 * At the point of no return of exec, with the caller's credentials still
 * current: does the new program run at CPL 0?  Reads the policy once, so
 * a concurrent policy change applies to an exec entirely or not at all.
 */
void kml_exec_grant(struct linux_binprm *bprm)
{
	int policy = READ_ONCE(kml_policy);
	const char *path;
	char *buf;

	if (!kml_enabled)
		return;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return;		/* the program runs in user mode */
	path = kml_trusted_path(bprm->file, buf, PATH_MAX);
	if (!path && bprm->kml_interp == KML_INTERP_TRUSTED) {
		/* a trusted script whose interpreter lies elsewhere */
		atomic_long_inc(&kml_stats[KML_REFUSED_INTERPRETER]);
		pr_notice_ratelimited("%s runs in user mode: its interpreter is not under %s\n",
				      bprm->filename, kml_trusted_dir);
		goto out;
	}
	if (!path)
		goto out;
	if (policy == KML_POLICY_OFF) {
		atomic_long_inc(&kml_stats[KML_REFUSED_POLICY]);
		goto out;
	}
	if (policy == KML_POLICY_ROOT && !uid_eq(current_euid(), GLOBAL_ROOT_UID)) {
		atomic_long_inc(&kml_stats[KML_REFUSED_POLICY]);
		goto out;
	}
	if ((bprm->unsafe & LSM_UNSAFE_PTRACE) &&
	    !ptracer_capable(current, &init_user_ns)) {
		kml_refuse(KML_REFUSED_UNSAFE, path, "traced by a tracer without CAP_SYS_PTRACE");
		goto out;
	}
	if (bprm->unsafe & (LSM_UNSAFE_NO_NEW_PRIVS | LSM_UNSAFE_SHARE)) {
		kml_refuse(KML_REFUSED_UNSAFE, path,
			   "no_new_privs is set or the fs context is shared");
		goto out;
	}
	if (bprm->kml_interp == KML_INTERP_UNTRUSTED) {
		kml_refuse(KML_REFUSED_INTERPRETER, path,
			   "it interprets a script or file that does not qualify");
		goto out;
	}
	if (!kml_file_trusted(bprm->file)) {
		kml_refuse(KML_REFUSED_UNTRUSTED, path,
			   "the file or a directory on its path is not root-owned or is writable by group or others");
		goto out;
	}

	atomic_long_inc(&kml_stats[KML_GRANTED]);
	arch_kml_grant_mm(bprm->mm);
	/*
	 * A privilege grant, like a setuid-root exec: dumpable only as
	 * fs.suid_dumpable allows (0 by default: not at all), and, for a
	 * caller that gains privilege by it, AT_SECURE for the dynamic
	 * loader and libc (no LD_PRELOAD, LD_LIBRARY_PATH, ...), no parent
	 * death signal and a sane stack limit.
	 */
	if (!kml_caller_privileged())
		bprm->secureexec = 1;
	bprm->interp_flags |= BINPRM_FLAGS_ENFORCE_NONDUMP;
out:
	kfree(buf);
}

/*
 * ptrace attach, /proc/<pid>/mem and process_vm_{readv,writev} on a KML
 * task need CAP_SYS_PTRACE in the initial user namespace, whatever the
 * task's dumpable flag or user namespace: they inject code that runs at
 * CPL 0.
 */
bool kml_ptrace_denied(struct mm_struct *mm, unsigned int mode)
{
	if (!kml_enabled || !(mode & PTRACE_MODE_ATTACH) || !arch_kml_mm(mm))
		return false;
	if (mode & PTRACE_MODE_NOAUDIT)
		return !has_ns_capability_noaudit(current, &init_user_ns, CAP_SYS_PTRACE);
	return !has_ns_capability(current, &init_user_ns, CAP_SYS_PTRACE);
}

void kml_proc_status(struct seq_file *m, struct mm_struct *mm)
{
	seq_printf(m, "KernelMode:\t%d\n", arch_kml_mm(mm) ? 1 : 0);
}

/*
 * Patched copies.  kml-rwcache -I writes, for an ELF object, a copy of
 * the file whose SYSCALL instructions are "call *%rax" (libkml/rwcache.c);
 * the rewriter maps its text from there.  Registered here by root
 * (/sys/kernel/kml/images, "ORIGINAL COPY"), a copy is also mapped by
 * the kernel: a KML process that asked with ARCH_KML_SLED_EXEC, or whose
 * parent did, gets the copy instead of the original for every private,
 * read-only, executable mapping of the original (the program and its
 * interpreter at exec, ld.so's mappings of libraries), and the sled at
 * address 0 with the first one.  Its programs then make direct calls
 * without a rewriter in the process; the objects without a copy keep
 * SYSCALL.
 *
 * The copy runs at CPL 0 in every such process, so it must qualify as a
 * program under the trusted directory does (root-owned, and so is every
 * directory above it, none writable by group or others), on a mount that
 * allows exec, and nobody may open it for writing while it is registered
 * (deny_write_access(), as for a running program).  The original is
 * named by its inode and its ctime: a file that changed since it was
 * registered (a write, a chmod) is mapped as it is.  The copy must be as
 * large as the original; the kernel does not read either: the bytes are
 * root's word, as the trusted directory's are.
 */
struct kml_image {
	struct hlist_node node;
	struct file *orig;		/* pins the inode */
	struct file *copy;		/* write access denied */
	struct timespec64 ctime;	/* the original's, at registration */
};

#define KML_IMAGES_BITS	6
static DEFINE_HASHTABLE(kml_images, KML_IMAGES_BITS);
static DEFINE_RWLOCK(kml_images_lock);

/* The entry of @inode, kml_images_lock held. */
static struct kml_image *kml_image_find(struct inode *inode)
{
	struct kml_image *im;

	hash_for_each_possible(kml_images, im, node, (unsigned long)inode)
		if (file_inode(im->orig) == inode)
			return im;
	return NULL;
}

struct file *__kml_mmap_image(struct file *file, unsigned long addr)
{
	struct inode *inode = file_inode(file);
	struct file *copy = NULL;
	struct kml_image *im;

	if (addr < PAGE_SIZE)
		return NULL;		/* the sled's page */
	read_lock(&kml_images_lock);
	im = kml_image_find(inode);
	if (im) {
		struct timespec64 ctime = inode_get_ctime(inode);

		if (timespec64_equal(&ctime, &im->ctime) &&
		    i_size_read(inode) == i_size_read(file_inode(im->copy)) &&
		    kml_inode_trusted(file_inode(im->copy)))
			copy = get_file(im->copy);
	}
	read_unlock(&kml_images_lock);
	if (copy && !arch_kml_images_sled(current->mm)) {
		fput(copy);
		return NULL;
	}
	if (copy)
		atomic_long_inc(&kml_stats[KML_IMAGES_MAPPED]);
	return copy;
}

static void kml_image_free(struct kml_image *im)
{
	allow_write_access(im->copy);
	fput(im->copy);
	fput(im->orig);
	kfree(im);
}

/* Register @copy for @orig, in place of an earlier copy. */
static int kml_image_add(const char *orig, const char *copy)
{
	struct kml_image *im, *old;
	struct inode *inode;
	int ret;

	im = kzalloc(sizeof(*im), GFP_KERNEL);
	if (!im)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO named by mistake must not hang the write */
	im->orig = filp_open(orig, O_RDONLY | O_LARGEFILE | O_NONBLOCK, 0);
	if (IS_ERR(im->orig)) {
		ret = PTR_ERR(im->orig);
		goto free;
	}
	im->copy = filp_open(copy, O_RDONLY | O_LARGEFILE | O_NOFOLLOW | O_NONBLOCK, 0);
	if (IS_ERR(im->copy)) {
		ret = PTR_ERR(im->copy);
		goto put_orig;
	}
	inode = file_inode(im->orig);
	ret = -EINVAL;
	if (!S_ISREG(inode->i_mode) || !S_ISREG(file_inode(im->copy)->i_mode) ||
	    i_size_read(inode) != i_size_read(file_inode(im->copy)) ||
	    file_inode(im->copy) == inode)
		goto put_copy;
	ret = -EPERM;
	if (!kml_file_trusted(im->copy) || path_noexec(&im->copy->f_path))
		goto put_copy;
	ret = deny_write_access(im->copy);
	if (ret)
		goto put_copy;
	im->ctime = inode_get_ctime(inode);

	write_lock(&kml_images_lock);
	old = kml_image_find(inode);
	if (old)
		hash_del(&old->node);
	hash_add(kml_images, &im->node, (unsigned long)inode);
	write_unlock(&kml_images_lock);
	if (old)
		kml_image_free(old);
	return 0;

put_copy:
	fput(im->copy);
put_orig:
	fput(im->orig);
free:
	kfree(im);
	return ret;
}

/* Drop the copy registered for @orig. */
static int kml_image_del(const char *orig)
{
	struct kml_image *im;
	struct path p;
	int ret;

	ret = kern_path(orig, LOOKUP_FOLLOW, &p);
	if (ret)
		return ret;
	write_lock(&kml_images_lock);
	im = kml_image_find(d_inode(p.dentry));
	if (im)
		hash_del(&im->node);
	write_unlock(&kml_images_lock);
	path_put(&p);
	if (!im)
		return -ENOENT;
	kml_image_free(im);
	return 0;
}

static void kml_images_clear(void)
{
	struct kml_image *im;
	struct hlist_node *tmp;
	HLIST_HEAD(gone);
	int b;

	write_lock(&kml_images_lock);
	hash_for_each_safe(kml_images, b, tmp, im, node) {
		hash_del(&im->node);
		hlist_add_head(&im->node, &gone);
	}
	write_unlock(&kml_images_lock);
	hlist_for_each_entry_safe(im, tmp, &gone, node)
		kml_image_free(im);
}

/*
 * "ORIGINAL COPY" registers a copy, "- ORIGINAL" drops it, "-" drops them
 * all; root only.
 */
static ssize_t images_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	char *s, *orig, *copy;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	s = kstrndup(buf, count, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	copy = strim(s);
	orig = strsep(&copy, " \t");
	if (!strcmp(orig, "-") && !copy) {
		kml_images_clear();
		ret = 0;
	} else if (!strcmp(orig, "-")) {
		ret = kml_image_del(skip_spaces(copy));
	} else if (!copy || orig[0] != '/') {
		ret = -EINVAL;
	} else {
		copy = skip_spaces(copy);
		ret = copy[0] == '/' ? kml_image_add(orig, copy) : -EINVAL;
	}
	kfree(s);
	return ret ? ret : count;
}

/* The registered copies, "ORIGINAL COPY" a line, as many as fit. */
static ssize_t images_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	char *o, *c, *tmp = kmalloc(2 * PATH_MAX, GFP_KERNEL);
	struct kml_image *im;
	int b, len = 0;

	if (!tmp)
		return -ENOMEM;
	read_lock(&kml_images_lock);	/* d_path() does not sleep */
	hash_for_each(kml_images, b, im, node) {
		o = d_path(&im->orig->f_path, tmp, PATH_MAX);
		c = d_path(&im->copy->f_path, tmp + PATH_MAX, PATH_MAX);
		if (!IS_ERR(o) && !IS_ERR(c))
			len += sysfs_emit_at(buf, len, "%s %s\n", o, c);
	}
	read_unlock(&kml_images_lock);
	kfree(tmp);
	return len;
}
static struct kobj_attribute kml_attr_images = __ATTR_RW_MODE(images, 0600);

/* kernel.kml.policy: changing it needs CAP_SYS_ADMIN and is logged. */
static int kml_policy_sysctl(const struct ctl_table *table, int write,
			     void *buffer, size_t *lenp, loff_t *ppos)
{
	char val[8];
	struct ctl_table t = { .data = val, .maxlen = sizeof(val) };
	int ret, new, old;

	if (write && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	strscpy(val, kml_policy_names[READ_ONCE(kml_policy)], sizeof(val));
	ret = proc_dostring(&t, write, buffer, lenp, ppos);
	if (ret || !write)
		return ret;
	new = kml_parse_policy(strim(val));
	if (new < 0)
		return -EINVAL;
	if (!kml_enabled && new != KML_POLICY_OFF)
		return -ENODEV;	/* booted with kml=off, or refused at boot */
	old = xchg(&kml_policy, new);
	pr_notice("policy changed from %s to %s by %s[%d] (uid %u)\n",
		  kml_policy_names[old], kml_policy_names[new], current->comm,
		  task_pid_nr(current), from_kuid(&init_user_ns, current_uid()));
	return 0;
}

static struct ctl_table kml_sysctls[] = {
	{
		.procname	= "policy",
		.maxlen		= 8,
		.mode		= 0644,
		.proc_handler	= kml_policy_sysctl,
	},
	{
		.procname	= "trusted_dir",
		.data		= kml_trusted_dir,
		.maxlen		= KML_DIR_MAX,
		.mode		= 0444,
		.proc_handler	= proc_dostring,
	},
};

static ssize_t kml_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	int i;

	for (i = 0; i < KML_NR_STATS; i++)
		if (!strcmp(attr->attr.name, kml_stat_names[i]))
			return sysfs_emit(buf, "%ld\n", atomic_long_read(&kml_stats[i]));
	return -EINVAL;
}

static ssize_t direct_calls_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", arch_kml_direct_calls());
}
static struct kobj_attribute kml_attr_direct_calls = __ATTR_RO(direct_calls);

#define KML_STAT_ATTR(n) \
	static struct kobj_attribute kml_attr_##n = __ATTR(n, 0444, kml_stat_show, NULL)
KML_STAT_ATTR(execs_granted);
KML_STAT_ATTR(refused_policy);
KML_STAT_ATTR(refused_unsafe);
KML_STAT_ATTR(refused_untrusted);
KML_STAT_ATTR(refused_interpreter);
KML_STAT_ATTR(images_mapped);

static struct attribute *kml_stat_attrs[] = {
	&kml_attr_execs_granted.attr,
	&kml_attr_refused_policy.attr,
	&kml_attr_refused_unsafe.attr,
	&kml_attr_refused_untrusted.attr,
	&kml_attr_refused_interpreter.attr,
	&kml_attr_images_mapped.attr,
	&kml_attr_direct_calls.attr,
	&kml_attr_images.attr,
	NULL,
};

static const struct attribute_group kml_stat_group = {
	.attrs = kml_stat_attrs,
};

static int __init kml_report(void)
{
	struct kobject *kobj;

	register_sysctl("kernel/kml", kml_sysctls);
	kobj = kobject_create_and_add("kml", kernel_kobj);
	if (!kobj || sysfs_create_group(kobj, &kml_stat_group))
		pr_warn("cannot create /sys/kernel/kml\n");
	if (!kml_enabled) {
		kml_policy = KML_POLICY_OFF;
		pr_info("Kernel Mode Linux disabled\n");
		return 0;
	}
	pr_info("Kernel Mode Linux enabled: programs under %s/ run at CPL 0 (policy %s)\n",
		kml_trusted_dir, kml_policy_names[kml_policy]);
	return 0;
}
late_initcall(kml_report);
