// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_mock: a fwctl driver with no hardware, for the fwctl npm package's
 * kernel test suite. The wire protocol is documented in PROTOCOL.md next to
 * this file; keep the two in sync.
 *
 * Each mock device is a faux device ("fwctl-mock<K>") with a fwctl device
 * registered under it, so every test byte goes through the real fwctl core
 * (drivers/fwctl/main.c) exactly as with hardware.
 *
 * Locking:
 *  - mock_lock protects mock_devs and mock_next_idx. It is never held while
 *    calling into the fwctl core or the driver core's teardown, and no fwctl
 *    op takes it: fwctl_unregister() waits (registration_lock, write) for
 *    every in-flight op, and an op may be sleeping for seconds (SLEEP).
 *    "del" therefore unlinks the device under mock_lock, drops the lock and
 *    only then unregisters it. Whoever unlinks a device owns its teardown,
 *    so two concurrent "del"s of the same device cannot both tear it down.
 *  - Per-fd state (struct mock_uctx) is only touched by ops on that fd; ops
 *    on one fd may run concurrently (the core holds registration_lock for
 *    read), hence the atomic rpc_count.
 *  - Everything an op reads from struct mock_dev is written before
 *    fwctl_register() and never changed afterwards.
 *
 * Lifetime: struct mock_dev embeds the fwctl_device, which is refcounted
 * by the core (open fds hold a reference) and freed by the core's release
 * function, so it may outlive this module; nothing in it needs this module
 * to be freed. The per-device fwctl_ops copy is freed right after
 * fwctl_unregister(), after which the core never uses it again.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device/faux.h>
#include <linux/fs.h>
#include <linux/fwctl.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/fwctl/fwctl.h>
#include <uapi/fwctl/pds.h>

#define MOCK_DEFAULT_TYPE	0xfff0
#define MOCK_DEFAULT_DATALEN	16
#define MOCK_MAX_DATALEN	SZ_1M	/* info() memory is kmalloc'd */
#define MOCK_MAX_FILL		SZ_16M	/* may exceed the core's 2 MiB buffers */
#define MOCK_MAX_SLEEP_MS	60000
#define MOCK_FAIL_ERRNO_LIMIT	512	/* ERESTARTSYS */
#define MOCK_MAX_NDEVS		64	/* at load; "add" has no limit */
#define MOCK_CTL_MAX		256

/* struct mock_req (little-endian), see PROTOCOL.md */
#define MOCK_REQ_HDR_LEN	16

enum mock_op {
	MOCK_OP_ECHO = 0,
	MOCK_OP_TRANSFORM = 1,
	MOCK_OP_FAIL = 2,
	MOCK_OP_FILL = 3,
	MOCK_OP_SLEEP = 4,
	MOCK_OP_SCOPE = 5,
	MOCK_OP_NESTED = 6,
	MOCK_OP_DMA = 7,
};

/*
 * NESTED (pds-like): pointers to further user buffers in the request, each
 * with a length the driver trusts, as drivers/fwctl/pds does.
 */
struct mock_nested {
	struct { __le32 op, arg, rsvd[2]; } hdr;
	__le64 in_ptr;		/* @16 */
	__le32 in_len;		/* @24 */
	__le32 rsvd1;
	__le64 out_ptr;		/* @32 */
	__le32 out_len;		/* @40 */
	__le32 rsvd2;
};
#define MOCK_NESTED_MAX		SZ_16M
/* DMA (bnxt-like): an __le64 address and an __le16 count of 32-bit words, or a fixed length. */
#define MOCK_DMA_ADDR_OFF	16
#define MOCK_DMA_LEN_OFF	24
#define MOCK_DMA_FIXED		SZ_64K
#define MOCK_MAX_OPEN_DELAY_MS	60000

/*
 * Emulation modes, selected with "add ... mode=<name>". mode=pds mirrors the
 * in-tree pds driver's device_data, validation and nested user pointers
 * (drivers/fwctl/pds/main.c) with canned firmware answers, for the tests
 * that need those pointers under a mock's control (hot-unplug, GC). mlx5,
 * bnxt and pds themselves are tested against the kernel's own drivers over
 * emulated firmware (test/kernel/emu).
 */
enum mock_mode {
	MOCK_MODE_GENERIC = 0,
	MOCK_MODE_PDS,
};

static const char *const mock_mode_names[] = {
	[MOCK_MODE_GENERIC] = "generic",
	[MOCK_MODE_PDS] = "pds",
};

/* The device type a mode reports unless "type=" is given. */
static const u32 mock_mode_types[] = {
	[MOCK_MODE_GENERIC] = 0,	/* the module parameter */
	[MOCK_MODE_PDS] = FWCTL_DEVICE_TYPE_PDS,
};

static unsigned int ndevs = 1;
module_param(ndevs, uint, 0444);
MODULE_PARM_DESC(ndevs, "mock devices created at load (default 1)");

static unsigned int mock_default_type = MOCK_DEFAULT_TYPE;
module_param_named(type, mock_default_type, uint, 0444);
MODULE_PARM_DESC(type, "default fwctl device_type (default 0xfff0)");

static unsigned int mock_default_datalen = MOCK_DEFAULT_DATALEN;
module_param_named(datalen, mock_default_datalen, uint, 0444);
MODULE_PARM_DESC(datalen, "default FWCTL_INFO device_data length (default 16)");

struct mock_dev {
	struct fwctl_device fwctl;	/* must be first, see fwctl_alloc_device() */
	/* immutable after fwctl_register() */
	struct faux_device *fdev;
	const struct fwctl_ops *ops;	/* per-device copy, own device_type */
	unsigned int idx;		/* K in fwctl-mock<K> */
	u32 type;
	u32 datalen;
	enum mock_mode mode;
	u32 open_delay_ms;		/* "add ... opendelay=MS": open() blocks */
	/* mutable */
	atomic_t next_uctx_id;
	struct list_head node;		/* on mock_devs, under mock_lock */
};

struct mock_uctx {
	struct fwctl_uctx uctx;		/* must be first */
	u32 id;
	atomic_t rpc_count;
	u32 uctx_caps;			/* pds mode */
};

static DEFINE_MUTEX(mock_lock);
static LIST_HEAD(mock_devs);
static unsigned int mock_next_idx;
static struct dentry *mock_debugfs_dir;

static struct mock_dev *to_mock_dev(struct fwctl_uctx *uctx)
{
	return container_of(uctx->fwctl, struct mock_dev, fwctl);
}

static struct mock_uctx *to_mock_uctx(struct fwctl_uctx *uctx)
{
	return container_of(uctx, struct mock_uctx, uctx);
}

static int mock_open_uctx(struct fwctl_uctx *uctx)
{
	struct mock_uctx *mu = to_mock_uctx(uctx);

	struct mock_dev *md = to_mock_dev(uctx);

	if (md->open_delay_ms)
		msleep_interruptible(md->open_delay_ms);
	mu->id = atomic_inc_return(&md->next_uctx_id);
	atomic_set(&mu->rpc_count, 0);
	switch (md->mode) {
	case MOCK_MODE_PDS:
		mu->uctx_caps = PDS_FWCTL_QUERY_CAP | PDS_FWCTL_SEND_CAP;
		break;
	default:
		mu->uctx_caps = 0;
	}
	return 0;
}

static void mock_close_uctx(struct fwctl_uctx *uctx)
{
}

static void *mock_type_info(struct fwctl_uctx *uctx, size_t *length);

static void *mock_info(struct fwctl_uctx *uctx, size_t *length)
{
	struct mock_dev *md = to_mock_dev(uctx);
	u8 *data;
	u32 i;

	if (md->mode != MOCK_MODE_GENERIC)
		return mock_type_info(uctx, length);

	/* The core kfree()s the result; kfree(ZERO_SIZE_PTR) is fine. */
	data = kmalloc(md->datalen, GFP_KERNEL_ACCOUNT);
	if (!data)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < md->datalen; i++)
		data[i] = (i * 31 + 7) & 0xff;
	*length = md->datalen;
	return data;
}

/* Sleep ms milliseconds; only a fatal signal cuts it short (-EINTR). */
static int mock_sleep(u32 ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms) + 1;

	if (!ms)
		return 0;
	while (time_before(jiffies, end)) {
		if (fatal_signal_pending(current))
			return -EINTR;
		schedule_timeout_killable(end - jiffies);
	}
	return 0;
}

static void *mock_type_rpc(struct fwctl_uctx *uctx, enum fwctl_rpc_scope scope,
			   void *rpc_in, size_t in_len, size_t *out_len);

/*
 * NESTED: memdup_user(in_ptr, in_len), sleep `arg` ms, then copy_to_user()
 * out_len bytes to out_ptr (byte i = in[i] for i < in_len, else the FILL
 * pattern). Answers { __le32 sum of the in bytes, __le32 out_len }.
 */
static void *mock_nested(void *rpc_in, size_t in_len, u32 arg, size_t *out_len)
{
	struct mock_nested *n = rpc_in;
	u32 ilen, olen, sum = 0, i;
	u8 *in __free(kvfree) = NULL;
	u8 *out __free(kvfree) = NULL;
	__le32 *resp = rpc_in;
	int ret;

	if (in_len < sizeof(*n) || arg > MOCK_MAX_SLEEP_MS)
		return ERR_PTR(-EINVAL);
	ilen = le32_to_cpu(n->in_len);
	olen = le32_to_cpu(n->out_len);
	if (ilen > MOCK_NESTED_MAX || olen > MOCK_NESTED_MAX)
		return ERR_PTR(-EINVAL);
	if (ilen) {
		in = kvmalloc(ilen, GFP_KERNEL_ACCOUNT);
		if (!in)
			return ERR_PTR(-ENOMEM);
		if (copy_from_user(in, u64_to_user_ptr(le64_to_cpu(n->in_ptr)), ilen))
			return ERR_PTR(-EFAULT);
		for (i = 0; i < ilen; i++)
			sum += in[i];
	}
	ret = mock_sleep(arg);
	if (ret)
		return ERR_PTR(ret);
	if (olen) {
		out = kvmalloc(olen, GFP_KERNEL_ACCOUNT);
		if (!out)
			return ERR_PTR(-ENOMEM);
		for (i = 0; i < olen; i++)
			out[i] = i < ilen ? in[i] : (i * 13 + 1) & 0xff;
		if (copy_to_user(u64_to_user_ptr(le64_to_cpu(n->out_ptr)), out, olen))
			return ERR_PTR(-EFAULT);
	}
	resp[0] = cpu_to_le32(sum);
	resp[1] = cpu_to_le32(olen);
	*out_len = 2 * sizeof(__le32);
	return rpc_in;
}

/*
 * DMA: like a bnxt DMA field bounced by the driver: length = the __le16 at
 * @24 in 32-bit words (arg 0) or always 64 KiB (arg 1); the FILL pattern is
 * copy_to_user()'d to the __le64 address at @16. Answers { __le32 length }.
 */
static void *mock_dma(void *rpc_in, size_t in_len, u32 arg, size_t *out_len)
{
	u8 *bounce __free(kfree) = NULL;
	u8 *req = rpc_in;
	__le32 *resp = rpc_in;
	u32 len, i;

	if (in_len < MOCK_DMA_LEN_OFF + 2 || arg > 1)
		return ERR_PTR(-EINVAL);
	len = arg ? MOCK_DMA_FIXED : 4 * get_unaligned_le16(req + MOCK_DMA_LEN_OFF);
	if (!len || len > MOCK_DMA_FIXED)
		return ERR_PTR(-EINVAL);
	bounce = kmalloc(len, GFP_KERNEL);
	if (!bounce)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < len; i++)
		bounce[i] = (i * 13 + 1) & 0xff;
	if (copy_to_user(u64_to_user_ptr(get_unaligned_le64(req + MOCK_DMA_ADDR_OFF)), bounce, len))
		return ERR_PTR(-EFAULT);
	resp[0] = cpu_to_le32(len);
	*out_len = sizeof(__le32);
	return rpc_in;
}

static void *mock_fw_rpc(struct fwctl_uctx *uctx, enum fwctl_rpc_scope scope,
			 void *rpc_in, size_t in_len, size_t *out_len)
{
	struct mock_uctx *mu = to_mock_uctx(uctx);
	struct mock_dev *md = to_mock_dev(uctx);
	u32 count = atomic_inc_return(&mu->rpc_count);
	u8 *payload = (u8 *)rpc_in + MOCK_REQ_HDR_LEN;
	size_t plen;
	__le32 *out;
	u32 op, arg;
	u8 *fill;
	size_t i;
	int ret;

	if (md->mode != MOCK_MODE_GENERIC)
		return mock_type_rpc(uctx, scope, rpc_in, in_len, out_len);
	if (in_len < MOCK_REQ_HDR_LEN)
		return ERR_PTR(-EINVAL);
	op = get_unaligned_le32(rpc_in);
	arg = get_unaligned_le32((u8 *)rpc_in + 4);
	plen = in_len - MOCK_REQ_HDR_LEN;

	switch (op) {
	case MOCK_OP_SLEEP:
		if (arg > MOCK_MAX_SLEEP_MS)
			return ERR_PTR(-EINVAL);
		ret = mock_sleep(arg);
		if (ret)
			return ERR_PTR(ret);
		fallthrough;
	case MOCK_OP_ECHO:
		/* Answer in place: the core accepts rpc_in as the response. */
		memmove(rpc_in, payload, plen);
		*out_len = plen;
		return rpc_in;

	case MOCK_OP_TRANSFORM:
		for (i = 0; i < plen; i++)
			((u8 *)rpc_in)[i] = ~payload[i];
		*out_len = plen;
		return rpc_in;

	case MOCK_OP_FAIL:
		/*
		 * 512 and up are kernel-internal (ERESTARTSYS, ENOIOCTLCMD, ...):
		 * the syscall layer would restart or translate them.
		 */
		if (arg < 1 || arg >= MOCK_FAIL_ERRNO_LIMIT)
			return ERR_PTR(-EINVAL);
		return ERR_PTR(-(long)arg);

	case MOCK_OP_FILL:
		if (arg > MOCK_MAX_FILL)
			return ERR_PTR(-EINVAL);
		if (!arg) {
			*out_len = 0;
			return rpc_in;
		}
		fill = kvmalloc(arg, GFP_KERNEL_ACCOUNT);
		if (!fill)
			return ERR_PTR(-ENOMEM);
		for (i = 0; i < arg; i++)
			fill[i] = (i * 13 + 1) & 0xff;
		/* The driver's full length; the core copies min(this, caller's). */
		*out_len = arg;
		return fill;

	case MOCK_OP_SCOPE:
		/* in_len >= 16 == response size: answer in place */
		out = rpc_in;
		out[0] = cpu_to_le32(scope);
		out[1] = cpu_to_le32(mu->id);
		out[2] = cpu_to_le32(count);
		out[3] = cpu_to_le32(md->type);
		*out_len = 4 * sizeof(__le32);
		return rpc_in;

	case MOCK_OP_NESTED:
		return mock_nested(rpc_in, in_len, arg, out_len);

	case MOCK_OP_DMA:
		return mock_dma(rpc_in, in_len, arg, out_len);

	default:
		return ERR_PTR(-EINVAL);
	}
}

#include "fwctl_mock_types.c"

static const struct fwctl_ops mock_ops_template = {
	.device_type = MOCK_DEFAULT_TYPE,
	.uctx_size = sizeof(struct mock_uctx),
	.open_uctx = mock_open_uctx,
	.close_uctx = mock_close_uctx,
	.info = mock_info,
	.fw_rpc = mock_fw_rpc,
};

static int mock_dev_add(u32 type, u32 datalen, enum mock_mode mode, u32 open_delay_ms)
{
	struct faux_device *fdev;
	struct fwctl_ops *ops;
	struct mock_dev *md;
	unsigned int idx;
	char name[32];
	int ret;

	if (datalen > MOCK_MAX_DATALEN || open_delay_ms > MOCK_MAX_OPEN_DELAY_MS)
		return -EINVAL;

	scoped_guard(mutex, &mock_lock)
		idx = mock_next_idx++;
	snprintf(name, sizeof(name), "fwctl-mock%u", idx);

	ops = kmemdup(&mock_ops_template, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	/* Any u32 is legal uABI; unknown numbers must work in userspace. */
	ops->device_type = (enum fwctl_device_type)type;

	fdev = faux_device_create(name, NULL, NULL);
	if (!fdev) {
		ret = -ENODEV;
		goto err_ops;
	}

	md = fwctl_alloc_device(&fdev->dev, ops, struct mock_dev, fwctl);
	if (!md) {
		ret = -ENOMEM;
		goto err_faux;
	}
	md->fdev = fdev;
	md->ops = ops;
	md->idx = idx;
	md->type = type;
	md->datalen = datalen;
	md->mode = mode;
	md->open_delay_ms = open_delay_ms;
	atomic_set(&md->next_uctx_id, 0);
	INIT_LIST_HEAD(&md->node);

	ret = fwctl_register(&md->fwctl);
	if (ret)
		goto err_put;

	scoped_guard(mutex, &mock_lock)
		list_add_tail(&md->node, &mock_devs);
	dev_dbg(&md->fwctl.dev, "mock device type=%u datalen=%u\n", type, datalen);
	return 0;

err_put:
	fwctl_put(&md->fwctl);
err_faux:
	faux_device_destroy(fdev);
err_ops:
	kfree(ops);
	return ret;
}

/* md must already be off mock_devs; called without mock_lock. */
static void mock_dev_destroy(struct mock_dev *md)
{
	struct faux_device *fdev = md->fdev;
	const struct fwctl_ops *ops = md->ops;

	/* Waits for in-flight ops (e.g. SLEEP); open fds then get ENODEV. */
	fwctl_unregister(&md->fwctl);
	/* md may be freed here, or later when the last fd closes. */
	fwctl_put(&md->fwctl);
	kfree(ops);
	faux_device_destroy(fdev);
}

static int mock_dev_del(const char *name)
{
	struct mock_dev *md, *found = NULL;

	scoped_guard(mutex, &mock_lock) {
		list_for_each_entry(md, &mock_devs, node) {
			if (!strcmp(dev_name(&md->fwctl.dev), name)) {
				found = md;
				list_del_init(&md->node);
				break;
			}
		}
	}
	if (!found)
		return -ENOENT;
	mock_dev_destroy(found);
	return 0;
}

static void mock_dev_del_all(void)
{
	struct mock_dev *md;
	LIST_HEAD(doomed);

	scoped_guard(mutex, &mock_lock)
		list_splice_init(&mock_devs, &doomed);
	while ((md = list_first_entry_or_null(&doomed, struct mock_dev, node))) {
		list_del_init(&md->node);
		mock_dev_destroy(md);
	}
}

/* "add [type=N] [datalen=L] [mode=M]" */
static int mock_ctl_add(char *args)
{
	enum mock_mode mode = MOCK_MODE_GENERIC;
	u32 datalen = mock_default_datalen;
	u32 type = mock_default_type;
	u32 open_delay_ms = 0;
	bool type_given = false;
	char *tok, *val;
	int ret;

	while ((tok = strsep(&args, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "type")) {
			ret = kstrtou32(val, 0, &type);
			type_given = true;
		} else if (!strcmp(tok, "datalen")) {
			ret = kstrtou32(val, 0, &datalen);
		} else if (!strcmp(tok, "opendelay")) {
			ret = kstrtou32(val, 0, &open_delay_ms);
		} else if (!strcmp(tok, "mode")) {
			ret = match_string(mock_mode_names,
					   ARRAY_SIZE(mock_mode_names), val);
			if (ret >= 0) {
				mode = ret;
				ret = 0;
			}
		} else {
			ret = -EINVAL;
		}
		if (ret)
			return -EINVAL;
	}
	if (mode != MOCK_MODE_GENERIC && !type_given)
		type = mock_mode_types[mode];
	return mock_dev_add(type, datalen, mode, open_delay_ms);
}

static ssize_t mock_ctl_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[MOCK_CTL_MAX];
	char *cmd, *args;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	args = strim(buf);
	cmd = strsep(&args, " \t\n");
	if (!strcmp(cmd, "add")) {
		ret = mock_ctl_add(args);
	} else if (!strcmp(cmd, "del")) {
		args = args ? strim(args) : NULL;
		ret = (args && *args) ? mock_dev_del(args) : -EINVAL;
	} else {
		ret = -EINVAL;
	}
	return ret ? ret : count;
}

static int mock_ctl_show(struct seq_file *s, void *unused)
{
	struct mock_dev *md;

	guard(mutex)(&mock_lock);
	list_for_each_entry(md, &mock_devs, node)
		seq_printf(s, "%s parent=%s type=%u datalen=%u mode=%s\n",
			   dev_name(&md->fwctl.dev), dev_name(&md->fdev->dev),
			   md->type, md->datalen, mock_mode_names[md->mode]);
	return 0;
}

static int mock_ctl_open(struct inode *inode, struct file *file)
{
	return single_open(file, mock_ctl_show, NULL);
}

static const struct file_operations mock_ctl_fops = {
	.owner = THIS_MODULE,
	.open = mock_ctl_open,
	.read = seq_read,
	.write = mock_ctl_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init fwctl_mock_init(void)
{
	unsigned int i;
	int ret;

	if (ndevs > MOCK_MAX_NDEVS || mock_default_datalen > MOCK_MAX_DATALEN)
		return -EINVAL;

	for (i = 0; i < ndevs; i++) {
		ret = mock_dev_add(mock_default_type, mock_default_datalen,
				   MOCK_MODE_GENERIC, 0);
		if (ret) {
			mock_dev_del_all();
			return ret;
		}
	}

	mock_debugfs_dir = debugfs_create_dir("fwctl_mock", NULL);
	debugfs_create_file("ctl", 0600, mock_debugfs_dir, NULL, &mock_ctl_fops);
	return 0;
}

static void __exit fwctl_mock_exit(void)
{
	/* Waits for ctl handlers still running; no new "add" after this. */
	debugfs_remove(mock_debugfs_dir);
	mock_dev_del_all();
}

module_init(fwctl_mock_init);
module_exit(fwctl_mock_exit);

MODULE_IMPORT_NS("FWCTL");
MODULE_DESCRIPTION("fwctl mock driver for userspace tests (no hardware)");
MODULE_LICENSE("GPL");
