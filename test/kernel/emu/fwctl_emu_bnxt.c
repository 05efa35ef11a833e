// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_emu_bnxt: emulated Broadcom NetXtreme HWRM firmware under the
 * kernel's own drivers/fwctl/bnxt/main.c (bnxt_fwctl.ko, built unmodified).
 *
 * Stands in for bnxt_en: exports bnxt_send_msg() and registers the
 * auxiliary device "bnxt_en.fwctl.<id>" (a struct bnxt_aux_priv with its
 * struct bnxt_en_dev) under a QEMU edu PCI function (see emu_common.h). The
 * driver bounces DMA buffers through dma_alloc_coherent() against that
 * function; the firmware here reads and writes them by bus address.
 *
 * HWRM as laid out in include/linux/bnxt/hsi.h (little-endian):
 *   VER_GET                 interface 1.10.3, firmware 230.0.150, chip 0x1750
 *   NVM_GET_DIR_INFO        EMU_NVM_ITEMS entries of EMU_NVM_ENTRY_LEN bytes
 *   NVM_GET_DIR_ENTRIES     the directory, into the driver's 64 KiB bounce buffer
 *   NVM_READ                bytes of item dir_idx at offset (len bytes, DMA)
 *   DBG_COREDUMP_LIST       coredump_segment_record per segment (DMA)
 *   DBG_COREDUMP_RETRIEVE   a segment's bytes, host_buf_len per seq_no (DMA),
 *                           flags MORE while bytes remain
 *   DBG_COREDUMP_LIST/RETRIEVE with flags CRASHDUMP / seg_flags CRASHED_DATA:
 *                           the crash dump, component 2, segments 1 and 2 of
 *                           EMU_CRASH_SEG0/1 bytes (more than 64 KiB: retrieved
 *                           in several bounce buffers)
 *   PORT_QSTATS             tx_port_stats / rx_port_stats: u64 counter k is
 *                           EMU_TX_STAT(k) / EMU_RX_STAT(k) (port 0)
 *   PORT_QSTATS_EXT         tx/rx_port_stats_ext: EMU_TXE_STAT(k) / EMU_RXE_STAT(k),
 *                           as many counters as tx/rx_stat_size hold
 *   FUNC_QCAPS              fid EMU_FID (this function), port_id 0
 *   NVM_GET_VARIABLE        the NVM variables of emu_nv_vars[] (option, width
 *                           in bits, shared or per-function, fixture and factory
 *                           default values): ceil(width / 8) bytes of the stored
 *                           value (flags FACTORY_DFLT: the default); data_len
 *                           counts bits (below the width: LEN_TOO_SHORT); a
 *                           per-function variable is indexed by index_0 when
 *                           dimensions is 1 (function 0 otherwise; EMU_NV_FUNCS
 *                           functions). Other options below EMU_NV_NO_OPTION read
 *                           EMU_NVM_VAR(option) in ceil(data_len / 8) bytes; from
 *                           EMU_NV_NO_OPTION on: cmd_err VAR_NOT_EXIST
 *   NVM_SET_VARIABLE        stores ceil(width / 8) bytes (DMA, to the device) of
 *                           an emu_nv_vars[] variable (others: VAR_NOT_EXIST; a
 *                           value wider than the variable: INVALID_DATA_LEN);
 *                           each one counted in nv_writes before any check, and
 *                           refused with RESOURCE_ACCESS_DENIED (0x3, emu.ts
 *                           BNXT.NV_REFUSED) while nv_refuse > 0 (emu_common.h's
 *                           EMU_NV knobs, as fwctl_emu_mlx5.c's MNVDA/MNVIA)
 *   FW_GET_STRUCTURED_DATA  data_len bytes, byte i = (structure_id + 3 i) & 0xff
 *   QUEUE_DSCP2PRI_QCFG     entry k = { dscp k, mask 0x3f, pri k & 7 } (3 bytes),
 *                           as many of 64 as fit, default_pri 3
 *   DBG_READ_DIRECT         read_len32 words, word i = (read_addr + 4 i) ^ 0xa5a5a5a5
 *   NVM_MODIFY              len bytes (DMA, to the device) into item dir_idx at
 *                           offset: later NVM_READs of that item return them
 *                           (until the module is removed)
 *   NVM_WRITE               dir_data_length bytes (DMA, to the device) as the whole
 *                           item of type dir_type (ordinal 0; the rest of the
 *                           item zeroed): later NVM_READs return them; answers
 *                           dir_idx and dir_item_length
 *   FW_LIVEPATCH            ACTIVATE: keeps patch_len bytes (DMA, to the device)
 *                           for fw_target 1 or 2, installed and active;
 *                           DEACTIVATE: no longer active
 *   FW_LIVEPATCH_QUERY      install_ver / active_ver "emu-<len>-<fnv1a32 %08x>"
 *                           of that target's patch, status_flags INSTALL|ACTIVE
 *   DBG_TOKEN_CFG           keeps dbg_token_len bytes (DMA, to the device) and flags
 *   anything else           HWRM_ERR_CODE_CMD_NOT_SUPPORTED (0xffff)
 * A bad argument is HWRM_ERR_CODE_INVALID_PARAMS in struct hwrm_err_output.
 * bnxt_send_msg() copies min(resp_len, resp_max_len) bytes of the response
 * and returns the errno bnxt_en maps error_code to (__hwrm_to_stderr).
 *
 * Directory entry (the HWRM spec's layout is not in the kernel headers; this
 * is the emulator's, EMU_NVM_ENTRY_LEN = 24 bytes, little-endian):
 *   __le16 dir_type, __le16 dir_ordinal, __le16 dir_ext, __le16 dir_attr,
 *   __le32 dir_item_length, __le32 dir_data_length, __le32 fw_ver, __le16 dir_idx, u8 rsvd[2]
 * Item k's byte i is (k * 31 + i * 7) & 0xff, except item 0 (PKG_LOG): the
 * package log EMU_PKG_LOG (tab-separated, version in field 2), NUL-padded.
 * Crash segment s (1, 2) byte i is EMU_CRASH_BYTE(s, i).
 * Coredump segment s (component 1, segment s + 1) is EMU_SEG_LEN bytes,
 * byte i = (s * 17 + i) & 0xff.
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands,
 * watch (signature: the req_type), watch_hits, nv_reset, nv_refuse, nv_writes
 * (emu_common.h); ulp_stopped (writable: BNXT_EN_FLAG_ULP_STOPPED in the
 * bnxt_en_dev the driver checks under en_dev_lock); dbg_token, livepatch1,
 * livepatch2 (read-only: what DBG_TOKEN_CFG / FW_LIVEPATCH kept, as
 * "<flags or status> <len> <fnv1a32 %08x> <hex of the first 1024 bytes>",
 * or "none").
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/bnxt/hsi.h>
#include <linux/bnxt/ulp.h>

#define EMU_NV
#include "emu_common.h"

#define EMU_NVM_ITEMS		4
#define EMU_NVM_ENTRY_LEN	24
#define EMU_NVM_ITEM_LEN	4096
#define EMU_SEGMENTS		3
#define EMU_SEG_LEN		10000
#define EMU_RESP_MAX		512
#define EMU_CRASH_SEG0		150000
#define EMU_CRASH_SEG1		70001
#define EMU_CRASH_BYTE(s, i)	(((i) * 13 + ((i) >> 8) * 7 + ((i) >> 16) * 101 + (s) * 17) & 0xff)
#define EMU_TX_STAT(k)		((1ULL << 40) + (k) * 1000 + 1)
#define EMU_RX_STAT(k)		((2ULL << 40) + (k) * 1000 + 2)
#define EMU_TXE_STAT(k)		((3ULL << 40) + (k))
#define EMU_RXE_STAT(k)		((4ULL << 40) + (k))
#define EMU_NVM_VAR(opt)	(0x12345678u + (opt) * 0x01010101u)
#define EMU_PKG_LOG		"20261101\tboard package\t229.1.0.0\t20261101\t0\t0\n" \
				"20261129\temulated package\t230.0.150.0\t20261129\t0\t0\n"

#define EMU_FID			2	/* FUNC_QCAPS fid: the second PF (index_0 1) */
#define EMU_NV_FUNCS		4
#define EMU_NV_NO_OPTION	1024

/* NVM variables (the options bnxt_devlink.c names, the RDMA capability, one it does not). */
static const struct emu_nv_var {
	u16 option, bits;
	bool per_func;
	u32 fixture, dflt;
} emu_nv_vars[] = {
	{ 401, 1, false, 1, 1 },	/* NVM_OFF_ENABLE_SRIOV */
	{ 164, 1, false, 0, 0 },	/* NVM_OFF_IGNORE_ARI */
	{ 108, 10, false, 64, 64 },	/* NVM_OFF_MSIX_VEC_PER_PF_MAX */
	{ 114, 7, false, 4, 4 },	/* NVM_OFF_MSIX_VEC_PER_PF_MIN */
	{ 161, 1, false, 1, 1 },	/* NVM_OFF_RDMA_CAPABLE */
	{ 171, 1, false, 0, 0 },	/* NVM_OFF_DIS_GRE_VER_CHECK */
	{ 506, 1, true, 0, 0 },		/* NVM_OFF_SUPPORT_RDMA, per function */
	{ 300, 8, false, 0x5a, 0x5a },	/* not named by the kernel (raw:300:8) */
};
static u32 emu_nv_val[ARRAY_SIZE(emu_nv_vars)][EMU_NV_FUNCS];
static DEFINE_MUTEX(emu_nv_lock);

static void emu_nv_reset(void)
{
	u32 v, f;

	mutex_lock(&emu_nv_lock);
	for (v = 0; v < ARRAY_SIZE(emu_nv_vars); v++)
		for (f = 0; f < EMU_NV_FUNCS; f++)
			emu_nv_val[v][f] = emu_nv_vars[v].fixture;
	mutex_unlock(&emu_nv_lock);
}

/* The variable and slot an NVM_GET/SET_VARIABLE addresses, or an HWRM error with cmd_err set. */
static u16 emu_nv_find(u16 option, u16 dims, u16 index0, u8 *cmd_err, int *var, u32 *slot)
{
	u32 v;

	for (v = 0; v < ARRAY_SIZE(emu_nv_vars); v++) {
		if (emu_nv_vars[v].option != option)
			continue;
		*var = v;
		*slot = emu_nv_vars[v].per_func && dims ? index0 : 0;
		if (*slot >= EMU_NV_FUNCS) {
			*cmd_err = NVM_GET_VARIABLE_CMD_ERR_CODE_INDEX_INVALID;
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		return 0;
	}
	*var = -1;
	return 0;
}

struct emu_bnxt {
	struct pci_dev *pdev;
	struct bnxt_en_dev *edev;
	struct bnxt_aux_priv *aux;
};

static struct emu_bnxt *emu;

/* Items written by NVM_MODIFY: a copy of the item, read back by NVM_READ. */
static u8 *emu_nvm_img[EMU_NVM_ITEMS];

static u8 emu_nvm_byte(u32 idx, u32 pos)
{
	if (emu_nvm_img[idx])
		return emu_nvm_img[idx][pos];
	return idx ? (idx * 31 + pos * 7) & 0xff
		: pos < sizeof(EMU_PKG_LOG) - 1 ? EMU_PKG_LOG[pos] : 0;
}

/* What FW_LIVEPATCH (per fw_target 1, 2) and DBG_TOKEN_CFG kept. */
struct emu_blob {
	u8 *data;
	u32 len, sum;
	u8 flags;
};
static struct emu_blob emu_patch[2], emu_token;
static DEFINE_MUTEX(emu_blob_lock);

/* FNV-1a, 32 bits: the checksum the emulator reports for kept bytes. */
static u32 emu_fnv1a(const u8 *p, u32 len)
{
	u32 h = 0x811c9dc5, i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x01000193;
	return h;
}

/* Copies len bytes of the DMA buffer into b; 0 or an HWRM error code. */
static u16 emu_blob_keep(struct emu_blob *b, const u8 *src, u32 len, u8 flags)
{
	u8 *data = kmemdup(src, len, GFP_KERNEL);

	if (!data)
		return HWRM_ERR_CODE_RESOURCE_ALLOC_ERROR;
	mutex_lock(&emu_blob_lock);
	kfree(b->data);
	b->data = data;
	b->len = len;
	b->sum = emu_fnv1a(data, len);
	b->flags = flags;
	mutex_unlock(&emu_blob_lock);
	return 0;
}

static int emu_blob_get(char *buf, const struct kernel_param *kp)
{
	const struct emu_blob *b = kp->arg;
	u32 i;
	int n;

	mutex_lock(&emu_blob_lock);
	if (!b->data) {
		mutex_unlock(&emu_blob_lock);
		return sysfs_emit(buf, "none\n");
	}
	n = sysfs_emit(buf, "%u %u %08x ", b->flags, b->len, b->sum);
	for (i = 0; i < b->len && i < 1024; i++)
		n += sysfs_emit_at(buf, n, "%02x", b->data[i]);
	n += sysfs_emit_at(buf, n, "\n");
	mutex_unlock(&emu_blob_lock);
	return n;
}
static const struct kernel_param_ops emu_blob_ops = { .get = emu_blob_get };
module_param_cb(dbg_token, &emu_blob_ops, &emu_token, 0444);
MODULE_PARM_DESC(dbg_token, "what DBG_TOKEN_CFG kept: flags, length, FNV-1a, first 1024 bytes in hex");
module_param_cb(livepatch1, &emu_blob_ops, &emu_patch[0], 0444);
MODULE_PARM_DESC(livepatch1, "the FW_LIVEPATCH patch of fw_target 1: status_flags, length, FNV-1a, first 1024 bytes in hex");
module_param_cb(livepatch2, &emu_blob_ops, &emu_patch[1], 0444);
MODULE_PARM_DESC(livepatch2, "the same for fw_target 2");

/* bnxt_en sets BNXT_EN_FLAG_ULP_STOPPED while its ULPs are stopped (firmware reset, suspend). */
static bool ulp_stopped;
static int emu_set_ulp_stopped(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (err || !emu)
		return err;
	mutex_lock(&emu->edev->en_dev_lock);
	if (ulp_stopped)
		emu->edev->flags |= BNXT_EN_FLAG_ULP_STOPPED;
	else
		emu->edev->flags &= ~BNXT_EN_FLAG_ULP_STOPPED;
	mutex_unlock(&emu->edev->en_dev_lock);
	return 0;
}
static const struct kernel_param_ops emu_ulp_stopped_ops = { .set = emu_set_ulp_stopped, .get = param_get_bool };
module_param_cb(ulp_stopped, &emu_ulp_stopped_ops, &ulp_stopped, 0644);
MODULE_PARM_DESC(ulp_stopped, "1: bnxt_en_dev.flags has BNXT_EN_FLAG_ULP_STOPPED (the driver refuses every command)");

static const struct {
	u16 type;
	const char *what;
} emu_nvm_items[EMU_NVM_ITEMS] = {
	{ 1, "PKG_LOG" }, { 3, "CHIMP_PATCH" }, { 4, "BOOTCODE" }, { 14, "NVM_CFG" },
};

/* Writes the response; returns its HWRM error code. */
static u16 emu_hwrm(const u8 *req, u32 req_len, u8 *resp, u16 *resp_len)
{
	u16 req_type = get_unaligned_le16(req);
	u32 i, k;

	switch (req_type) {
	case HWRM_VER_GET: {
		struct hwrm_ver_get_output *o = (void *)resp;

		o->hwrm_intf_maj_8b = HWRM_VERSION_MAJOR;
		o->hwrm_intf_min_8b = HWRM_VERSION_MINOR;
		o->hwrm_intf_upd_8b = HWRM_VERSION_UPDATE;
		o->hwrm_fw_maj_8b = 230;
		o->hwrm_fw_bld_8b = 150;
		o->mgmt_fw_maj_8b = 230;
		o->mgmt_fw_bld_8b = 150;
		o->netctrl_fw_maj_8b = 230;
		o->netctrl_fw_bld_8b = 150;
		o->dev_caps_cfg = cpu_to_le32(VER_GET_RESP_DEV_CAPS_CFG_SECURE_FW_UPD_SUPPORTED |
					      VER_GET_RESP_DEV_CAPS_CFG_SHORT_CMD_SUPPORTED);
		o->roce_fw_maj_8b = 230;
		o->roce_fw_bld_8b = 150;
		strscpy(o->hwrm_fw_name, "emu-hwrm", sizeof(o->hwrm_fw_name));
		strscpy(o->mgmt_fw_name, "emu-mgmt", sizeof(o->mgmt_fw_name));
		strscpy(o->netctrl_fw_name, "emu-netctrl", sizeof(o->netctrl_fw_name));
		strscpy(o->active_pkg_name, "230.0.150.0", sizeof(o->active_pkg_name));
		strscpy(o->roce_fw_name, "emu-roce", sizeof(o->roce_fw_name));
		o->chip_num = cpu_to_le16(0x1750);	/* BCM57508 */
		o->chip_rev = 1;
		o->max_req_win_len = cpu_to_le16(128);
		o->max_resp_len = cpu_to_le16(4096);
		o->def_req_timeout = cpu_to_le16(500);
		o->always_1 = 1;
		o->hwrm_intf_major = cpu_to_le16(HWRM_VERSION_MAJOR);
		o->hwrm_intf_minor = cpu_to_le16(HWRM_VERSION_MINOR);
		o->hwrm_intf_build = cpu_to_le16(HWRM_VERSION_UPDATE);
		o->hwrm_fw_major = cpu_to_le16(230);
		o->hwrm_fw_build = cpu_to_le16(150);
		o->mgmt_fw_major = cpu_to_le16(230);
		o->mgmt_fw_build = cpu_to_le16(150);
		o->netctrl_fw_major = cpu_to_le16(230);
		o->netctrl_fw_build = cpu_to_le16(150);
		o->roce_fw_major = cpu_to_le16(230);
		o->roce_fw_build = cpu_to_le16(150);
		o->max_ext_req_len = cpu_to_le16(128);
		o->max_req_timeout = cpu_to_le16(60);
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_NVM_GET_DIR_INFO: {
		struct hwrm_nvm_get_dir_info_output *o = (void *)resp;

		o->entries = cpu_to_le32(EMU_NVM_ITEMS);
		o->entry_length = cpu_to_le32(EMU_NVM_ENTRY_LEN);
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_NVM_GET_DIR_ENTRIES: {
		const struct hwrm_nvm_get_dir_entries_input *in = (const void *)req;
		u8 *dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));

		/* The driver's bounce buffer is FWCTL_BNXT_MAX_DMABUF bytes. */
		for (k = 0; k < EMU_NVM_ITEMS; k++) {
			u8 *e = dst + k * EMU_NVM_ENTRY_LEN;

			memset(e, 0, EMU_NVM_ENTRY_LEN);
			put_unaligned_le16(emu_nvm_items[k].type, e);
			put_unaligned_le16(0, e + 2);
			put_unaligned_le32(EMU_NVM_ITEM_LEN, e + 8);
			put_unaligned_le32(EMU_NVM_ITEM_LEN, e + 12);
			put_unaligned_le32(0xe6009600, e + 16);
			put_unaligned_le16(k, e + 20);
		}
		*resp_len = sizeof(struct hwrm_nvm_get_dir_entries_output);
		return 0;
	}
	case HWRM_NVM_READ: {
		const struct hwrm_nvm_read_input *in = (const void *)req;
		u32 idx = le16_to_cpu(in->dir_idx), off = le32_to_cpu(in->offset);
		u32 len = le32_to_cpu(in->len);
		u8 *dst;

		if (idx >= EMU_NVM_ITEMS || off > EMU_NVM_ITEM_LEN || len > EMU_NVM_ITEM_LEN - off)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));
		for (i = 0; i < len; i++)
			dst[i] = emu_nvm_byte(idx, off + i);
		*resp_len = sizeof(struct hwrm_nvm_read_output);
		return 0;
	}
	case HWRM_NVM_MODIFY: {
		const struct hwrm_nvm_modify_input *in = (const void *)req;
		u32 idx = le16_to_cpu(in->dir_idx), off = le32_to_cpu(in->offset);
		u32 len = le32_to_cpu(in->len);
		const u8 *src;

		if (idx >= EMU_NVM_ITEMS || off > EMU_NVM_ITEM_LEN || len > EMU_NVM_ITEM_LEN - off)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		if (!emu_nvm_img[idx]) {
			u8 *img = kmalloc(EMU_NVM_ITEM_LEN, GFP_KERNEL);

			if (!img)
				return HWRM_ERR_CODE_RESOURCE_ALLOC_ERROR;
			for (i = 0; i < EMU_NVM_ITEM_LEN; i++)
				img[i] = emu_nvm_byte(idx, i);
			emu_nvm_img[idx] = img;
		}
		src = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_src_addr));
		memcpy(emu_nvm_img[idx] + off, src, len);
		*resp_len = sizeof(struct hwrm_nvm_modify_output);
		return 0;
	}
	case HWRM_NVM_WRITE: {
		const struct hwrm_nvm_write_input *in = (const void *)req;
		struct hwrm_nvm_write_output *o = (void *)resp;
		u32 type = le16_to_cpu(in->dir_type), len = le32_to_cpu(in->dir_data_length);
		const u8 *src;

		for (k = 0; k < EMU_NVM_ITEMS; k++)
			if (emu_nvm_items[k].type == type)
				break;
		if (k == EMU_NVM_ITEMS || le16_to_cpu(in->dir_ordinal) != 0 || len > EMU_NVM_ITEM_LEN)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		if (!emu_nvm_img[k]) {
			emu_nvm_img[k] = kmalloc(EMU_NVM_ITEM_LEN, GFP_KERNEL);
			if (!emu_nvm_img[k])
				return HWRM_ERR_CODE_RESOURCE_ALLOC_ERROR;
		}
		src = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_src_addr));
		memcpy(emu_nvm_img[k], src, len);
		memset(emu_nvm_img[k] + len, 0, EMU_NVM_ITEM_LEN - len);
		o->dir_item_length = cpu_to_le32(EMU_NVM_ITEM_LEN);
		o->dir_idx = cpu_to_le16(k);
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_FW_LIVEPATCH: {
		const struct hwrm_fw_livepatch_input *in = (const void *)req;
		struct hwrm_fw_livepatch_output *o = (void *)resp;
		u32 t = in->fw_target, len = le32_to_cpu(in->patch_len);
		u16 err;

		if (t < 1 || t > 2)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		if (in->opcode == FW_LIVEPATCH_REQ_OPCODE_ACTIVATE) {
			err = emu_blob_keep(&emu_patch[t - 1],
					    emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_addr)), len,
					    FW_LIVEPATCH_QUERY_RESP_STATUS_FLAGS_INSTALL |
					    FW_LIVEPATCH_QUERY_RESP_STATUS_FLAGS_ACTIVE);
			if (err)
				return err;
		} else if (in->opcode == FW_LIVEPATCH_REQ_OPCODE_DEACTIVATE) {
			mutex_lock(&emu_blob_lock);
			emu_patch[t - 1].flags &= ~FW_LIVEPATCH_QUERY_RESP_STATUS_FLAGS_ACTIVE;
			mutex_unlock(&emu_blob_lock);
		} else {
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_FW_LIVEPATCH_QUERY: {
		const struct hwrm_fw_livepatch_query_input *in = (const void *)req;
		struct hwrm_fw_livepatch_query_output *o = (void *)resp;
		const struct emu_blob *b;
		u32 t = in->fw_target;

		if (t < 1 || t > 2)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		b = &emu_patch[t - 1];
		mutex_lock(&emu_blob_lock);
		if (b->flags & FW_LIVEPATCH_QUERY_RESP_STATUS_FLAGS_INSTALL)
			snprintf(o->install_ver, sizeof(o->install_ver), "emu-%u-%08x", b->len, b->sum);
		if (b->flags & FW_LIVEPATCH_QUERY_RESP_STATUS_FLAGS_ACTIVE)
			snprintf(o->active_ver, sizeof(o->active_ver), "emu-%u-%08x", b->len, b->sum);
		o->status_flags = cpu_to_le16(b->flags);
		mutex_unlock(&emu_blob_lock);
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_DBG_TOKEN_CFG: {
		const struct hwrm_dbg_token_cfg_input *in = (const void *)req;
		struct hwrm_dbg_token_cfg_output *o = (void *)resp;
		u16 err;

		err = emu_blob_keep(&emu_token, emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_src_addr)),
				    le32_to_cpu(in->dbg_token_len), in->flags);
		if (err)
			return err;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_FUNC_QCAPS: {
		struct hwrm_func_qcaps_output *o = (void *)resp;

		o->fid = cpu_to_le16(EMU_FID);
		o->port_id = 0;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_NVM_GET_VARIABLE: {
		const struct hwrm_nvm_get_variable_input *in = (const void *)req;
		struct hwrm_nvm_get_variable_output *o = (void *)resp;
		struct hwrm_err_output *eo = (void *)resp;
		u32 bits = le16_to_cpu(in->data_len), opt = le16_to_cpu(in->option_num), v = EMU_NVM_VAR(opt), slot;
		u8 *dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->dest_data_addr));
		u16 err;
		int var;

		err = emu_nv_find(opt, le16_to_cpu(in->dimensions), le16_to_cpu(in->index_0), &eo->cmd_err, &var, &slot);
		if (err)
			return err;
		if (var >= 0) {
			if (bits < emu_nv_vars[var].bits) {
				eo->cmd_err = NVM_GET_VARIABLE_CMD_ERR_CODE_LEN_TOO_SHORT;
				return HWRM_ERR_CODE_INVALID_PARAMS;
			}
			bits = emu_nv_vars[var].bits;
			mutex_lock(&emu_nv_lock);
			v = in->flags & NVM_GET_VARIABLE_REQ_FLAGS_FACTORY_DFLT ? emu_nv_vars[var].dflt : emu_nv_val[var][slot];
			mutex_unlock(&emu_nv_lock);
		} else if (opt >= EMU_NV_NO_OPTION) {
			eo->cmd_err = NVM_GET_VARIABLE_CMD_ERR_CODE_VAR_NOT_EXIST;
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		/* the driver bounced data_len bytes; the firmware writes the variable's bits */
		for (i = 0; i < DIV_ROUND_UP(bits, 8); i++)
			dst[i] = i < 4 ? (v >> (8 * i)) & 0xff : 0;
		memset(o, 0, sizeof(*o));
		o->data_len = cpu_to_le16(bits);
		o->option_num = in->option_num;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_NVM_SET_VARIABLE: {
		const struct hwrm_nvm_set_variable_input *in = (const void *)req;
		struct hwrm_err_output *eo = (void *)resp;
		u32 bits = le16_to_cpu(in->data_len), opt = le16_to_cpu(in->option_num), v = 0, slot;
		const u8 *src = emu_dma_ptr(emu->pdev, le64_to_cpu(in->src_data_addr));
		u16 err;
		int var;

		if (emu_nv_write())
			return HWRM_ERR_CODE_RESOURCE_ACCESS_DENIED;
		err = emu_nv_find(opt, le16_to_cpu(in->dimensions), le16_to_cpu(in->index_0), &eo->cmd_err, &var, &slot);
		if (err)
			return err;
		if (var < 0) {
			eo->cmd_err = NVM_SET_VARIABLE_CMD_ERR_CODE_VAR_NOT_EXIST;
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		if (bits < emu_nv_vars[var].bits) {
			eo->cmd_err = NVM_SET_VARIABLE_CMD_ERR_CODE_LEN_TOO_SHORT;
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		for (i = 0; i < DIV_ROUND_UP(emu_nv_vars[var].bits, 8); i++)
			v |= (u32)src[i] << (8 * i);
		if (emu_nv_vars[var].bits < 32 && v >> emu_nv_vars[var].bits) {
			eo->cmd_err = NVM_SET_VARIABLE_CMD_ERR_CODE_INVALID_DATA_LEN;
			return HWRM_ERR_CODE_INVALID_PARAMS;
		}
		mutex_lock(&emu_nv_lock);
		emu_nv_val[var][slot] = v;
		mutex_unlock(&emu_nv_lock);
		((struct hwrm_nvm_set_variable_output *)resp)->valid = 1;
		*resp_len = sizeof(struct hwrm_nvm_set_variable_output);
		return 0;
	}
	case HWRM_FW_GET_STRUCTURED_DATA: {
		const struct hwrm_fw_get_structured_data_input *in = (const void *)req;
		struct hwrm_fw_get_structured_data_output *o = (void *)resp;
		u32 len = le16_to_cpu(in->data_len), sid = le16_to_cpu(in->structure_id);
		u8 *dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->dest_data_addr));

		for (i = 0; i < len; i++)
			dst[i] = (sid + 3 * i) & 0xff;
		o->hdr_cnt = 1;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_QUEUE_DSCP2PRI_QCFG: {
		const struct hwrm_queue_dscp2pri_qcfg_input *in = (const void *)req;
		struct hwrm_queue_dscp2pri_qcfg_output *o = (void *)resp;
		u32 n = min_t(u32, le16_to_cpu(in->dest_data_buffer_size) / 3, 64);
		u8 *dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->dest_data_addr));

		for (k = 0; k < n; k++) {
			dst[3 * k] = k;
			dst[3 * k + 1] = 0x3f;
			dst[3 * k + 2] = k & 7;
		}
		o->entry_cnt = cpu_to_le16(n);
		o->default_pri = 3;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_DBG_READ_DIRECT: {
		const struct hwrm_dbg_read_direct_input *in = (const void *)req;
		struct hwrm_dbg_read_direct_output *o = (void *)resp;
		u32 addr = le32_to_cpu(in->read_addr), n = le32_to_cpu(in->read_len32);
		u8 *dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));

		for (i = 0; i < n; i++)
			put_unaligned_le32((addr + 4 * i) ^ 0xa5a5a5a5, dst + 4 * i);
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_PORT_QSTATS: {
		const struct hwrm_port_qstats_input *in = (const void *)req;
		struct hwrm_port_qstats_output *o = (void *)resp;
		u8 *tx = emu_dma_ptr(emu->pdev, le64_to_cpu(in->tx_stat_host_addr));
		u8 *rx = emu_dma_ptr(emu->pdev, le64_to_cpu(in->rx_stat_host_addr));

		if (le16_to_cpu(in->port_id) != 0)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		/* the driver bounces exactly sizeof(struct tx_port_stats) / (struct rx_port_stats) */
		for (k = 0; k < sizeof(struct tx_port_stats) / 8; k++)
			put_unaligned_le64(EMU_TX_STAT(k), tx + 8 * k);
		for (k = 0; k < sizeof(struct rx_port_stats) / 8; k++)
			put_unaligned_le64(EMU_RX_STAT(k), rx + 8 * k);
		o->tx_stat_size = cpu_to_le16(sizeof(struct tx_port_stats));
		o->rx_stat_size = cpu_to_le16(sizeof(struct rx_port_stats));
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_PORT_QSTATS_EXT: {
		const struct hwrm_port_qstats_ext_input *in = (const void *)req;
		struct hwrm_port_qstats_ext_output *o = (void *)resp;
		u32 txn = min_t(u32, le16_to_cpu(in->tx_stat_size), sizeof(struct tx_port_stats_ext)) / 8;
		u32 rxn = min_t(u32, le16_to_cpu(in->rx_stat_size), sizeof(struct rx_port_stats_ext)) / 8;
		u8 *tx = emu_dma_ptr(emu->pdev, le64_to_cpu(in->tx_stat_host_addr));
		u8 *rx = emu_dma_ptr(emu->pdev, le64_to_cpu(in->rx_stat_host_addr));

		if (le16_to_cpu(in->port_id) != 0)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		for (k = 0; k < txn; k++)
			put_unaligned_le64(EMU_TXE_STAT(k), tx + 8 * k);
		for (k = 0; k < rxn; k++)
			put_unaligned_le64(EMU_RXE_STAT(k), rx + 8 * k);
		o->tx_stat_size = cpu_to_le16(txn * 8);
		o->rx_stat_size = cpu_to_le16(rxn * 8);
		o->total_active_cos_queues = 8;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_DBG_COREDUMP_LIST: {
		const struct hwrm_dbg_coredump_list_input *in = (const void *)req;
		struct hwrm_dbg_coredump_list_output *o = (void *)resp;
		u32 cap = le32_to_cpu(in->host_buf_len) / sizeof(struct coredump_segment_record);
		struct coredump_segment_record *r =
			emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));
		u32 n = min_t(u32, cap, EMU_SEGMENTS);

		if (in->flags & DBG_COREDUMP_LIST_REQ_FLAGS_CRASHDUMP) {
			n = min_t(u32, cap, 2);
			for (k = 0; k < n; k++) {
				memset(&r[k], 0, sizeof(r[k]));
				r[k].component_id = cpu_to_le16(2);
				r[k].segment_id = cpu_to_le16(k + 1);
				r[k].max_instances = cpu_to_le16(1);
				r[k].version_hi = 2;
				r[k].segment_len = cpu_to_le32(k ? EMU_CRASH_SEG1 : EMU_CRASH_SEG0);
			}
			o->total_segments = cpu_to_le16(2);
			o->data_len = cpu_to_le16(n * sizeof(*r));
			o->flags = n < 2 ? DBG_COREDUMP_LIST_RESP_FLAGS_MORE : 0;
			o->valid = 1;
			*resp_len = sizeof(*o);
			return 0;
		}
		for (k = 0; k < n; k++) {
			memset(&r[k], 0, sizeof(r[k]));
			r[k].component_id = cpu_to_le16(1);
			r[k].segment_id = cpu_to_le16(k + 1);
			r[k].max_instances = cpu_to_le16(1);
			r[k].version_hi = 1;
			r[k].segment_len = cpu_to_le32(EMU_SEG_LEN);
		}
		o->total_segments = cpu_to_le16(EMU_SEGMENTS);
		o->data_len = cpu_to_le16(n * sizeof(*r));
		o->flags = n < EMU_SEGMENTS ? DBG_COREDUMP_LIST_RESP_FLAGS_MORE : 0;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	case HWRM_DBG_COREDUMP_RETRIEVE: {
		const struct hwrm_dbg_coredump_retrieve_input *in = (const void *)req;
		struct hwrm_dbg_coredump_retrieve_output *o = (void *)resp;
		u32 buf = le32_to_cpu(in->host_buf_len), seq = le32_to_cpu(in->seq_no);
		u32 seg = le16_to_cpu(in->segment_id), off, n;
		u8 *dst;

		if (in->seg_flags & DBG_COREDUMP_RETRIEVE_REQ_SFLAG_CRASHED_DATA) {
			u32 len = seg == 1 ? EMU_CRASH_SEG0 : EMU_CRASH_SEG1;

			if (le16_to_cpu(in->component_id) != 2 || seg < 1 || seg > 2 ||
			    (u64)seq * buf >= len)
				return HWRM_ERR_CODE_INVALID_PARAMS;
			off = seq * buf;
			n = min_t(u32, buf, len - off);
			dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));
			for (i = 0; i < n; i++)
				dst[i] = EMU_CRASH_BYTE(seg, off + i);
			o->data_len = cpu_to_le16(n);
			o->flags = off + n < len ? DBG_COREDUMP_RETRIEVE_RESP_FLAGS_MORE : 0;
			o->valid = 1;
			*resp_len = sizeof(*o);
			return 0;
		}
		if (le16_to_cpu(in->component_id) != 1 || seg < 1 || seg > EMU_SEGMENTS)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		if ((u64)seq * buf >= EMU_SEG_LEN)
			return HWRM_ERR_CODE_INVALID_PARAMS;
		off = seq * buf;
		n = min_t(u32, buf, EMU_SEG_LEN - off);
		dst = emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));
		for (i = 0; i < n; i++)
			dst[i] = ((seg - 1) * 17 + off + i) & 0xff;
		o->data_len = cpu_to_le16(n);
		o->flags = off + n < EMU_SEG_LEN ? DBG_COREDUMP_RETRIEVE_RESP_FLAGS_MORE : 0;
		o->valid = 1;
		*resp_len = sizeof(*o);
		return 0;
	}
	default:
		return HWRM_ERR_CODE_CMD_NOT_SUPPORTED;
	}
}

/* bnxt_en's __hwrm_to_stderr() */
static int emu_hwrm_to_stderr(u16 err)
{
	switch (err) {
	case HWRM_ERR_CODE_SUCCESS:			return 0;
	case HWRM_ERR_CODE_RESOURCE_LOCKED:		return -EROFS;
	case HWRM_ERR_CODE_RESOURCE_ACCESS_DENIED:	return -EACCES;
	case HWRM_ERR_CODE_RESOURCE_ALLOC_ERROR:	return -ENOSPC;
	case HWRM_ERR_CODE_INVALID_PARAMS:
	case HWRM_ERR_CODE_INVALID_FLAGS:
	case HWRM_ERR_CODE_INVALID_ENABLES:
	case HWRM_ERR_CODE_UNSUPPORTED_TLV:
	case HWRM_ERR_CODE_UNSUPPORTED_OPTION_ERR:	return -EINVAL;
	case HWRM_ERR_CODE_NO_BUFFER:			return -ENOMEM;
	case HWRM_ERR_CODE_HOT_RESET_PROGRESS:
	case HWRM_ERR_CODE_BUSY:			return -EAGAIN;
	case HWRM_ERR_CODE_CMD_NOT_SUPPORTED:		return -EOPNOTSUPP;
	case HWRM_ERR_CODE_PF_UNAVAILABLE:		return -ENODEV;
	default:					return -EIO;
	}
}

int bnxt_send_msg(struct bnxt_en_dev *edev, struct bnxt_fw_msg *fw_msg)
{
	u16 err, req_type, resp_len = 0;
	u8 *req, *resp;
	int rc;

	if (!emu || edev != emu->edev)
		return -ENODEV;
	if (fw_msg->msg_len < (int)sizeof(struct input))
		return -EINVAL;
	rc = emu_channel_fault();
	if (rc)
		return rc;
	req = kzalloc(max_t(int, fw_msg->msg_len, 128), GFP_KERNEL);
	resp = kzalloc(EMU_RESP_MAX, GFP_KERNEL);
	if (!req || !resp) {
		kfree(req);
		kfree(resp);
		return -ENOMEM;
	}
	memcpy(req, fw_msg->msg, fw_msg->msg_len);	/* zero-extended, like the HWRM window */
	emu_firmware_step();
	req_type = get_unaligned_le16(req);
	emu_watch(req_type);
	err = emu_hwrm(req, fw_msg->msg_len, resp, &resp_len);
	if (err) {
		struct hwrm_err_output *o = (void *)resp;
		u8 cmd_err = o->cmd_err;	/* the command's own error code, where its handler set one */

		memset(resp, 0, EMU_RESP_MAX);
		o->cmd_err = cmd_err;
		o->valid = 1;
		resp_len = sizeof(*o);
	}
	put_unaligned_le16(err, resp);
	put_unaligned_le16(req_type, resp + 2);
	put_unaligned_le16(get_unaligned_le16(req + 4), resp + 4);	/* seq_id */
	put_unaligned_le16(resp_len, resp + 6);
	/* bnxt_send_msg(): resp_len bytes, at most resp_max_len */
	memcpy(fw_msg->resp, resp, min_t(int, resp_len, fw_msg->resp_max_len));
	kfree(req);
	kfree(resp);
	return emu_hwrm_to_stderr(err);
}
EXPORT_SYMBOL(bnxt_send_msg);

static void emu_adev_release(struct device *dev)
{
	kfree(container_of(dev, struct bnxt_aux_priv, aux_dev.dev));
}

static int emu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct bnxt_aux_priv *aux;
	int err;

	if (!emu_is_our_function(pdev) || emu)
		return -ENODEV;
	err = emu_pci_setup(pdev);
	if (err)
		return err;
	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return -ENOMEM;
	emu->pdev = pdev;
	emu_nv_reset();
	emu->edev = kzalloc(sizeof(*emu->edev), GFP_KERNEL);
	aux = kzalloc(sizeof(*aux), GFP_KERNEL);
	if (!emu->edev || !aux) {
		err = -ENOMEM;
		goto err_free;
	}
	emu->edev->pdev = pdev;
	emu->edev->chip_num = 0x1750;
	mutex_init(&emu->edev->en_dev_lock);

	aux->edev = emu->edev;
	aux->id = pci_dev_id(pdev);
	aux->aux_dev.name = "fwctl";
	aux->aux_dev.id = aux->id;
	aux->aux_dev.dev.parent = &pdev->dev;
	aux->aux_dev.dev.release = emu_adev_release;
	err = auxiliary_device_init(&aux->aux_dev);
	if (err) {
		kfree(aux);
		aux = NULL;
		goto err_free;
	}
	/* bnxt_en's name: the fwctl driver binds "bnxt_en.fwctl". */
	err = __auxiliary_device_add(&aux->aux_dev, "bnxt_en");
	if (err) {
		auxiliary_device_uninit(&aux->aux_dev);
		aux = NULL;
		goto err_free;
	}
	emu->aux = aux;
	pci_set_drvdata(pdev, emu);
	dev_info(&pdev->dev, "emulating bnxt HWRM firmware\n");
	return 0;

err_free:
	kfree(aux);
	kfree(emu->edev);
	kfree(emu);
	emu = NULL;
	return err;
}

static void emu_remove(struct pci_dev *pdev)
{
	struct emu_bnxt *e = pci_get_drvdata(pdev);
	int i;

	auxiliary_device_delete(&e->aux->aux_dev);
	auxiliary_device_uninit(&e->aux->aux_dev);
	emu = NULL;
	for (i = 0; i < EMU_NVM_ITEMS; i++) {
		kfree(emu_nvm_img[i]);
		emu_nvm_img[i] = NULL;
	}
	mutex_lock(&emu_blob_lock);
	for (i = 0; i < 2; i++) {
		kfree(emu_patch[i].data);
		emu_patch[i] = (struct emu_blob){};
	}
	kfree(emu_token.data);
	emu_token = (struct emu_blob){};
	mutex_unlock(&emu_blob_lock);
	mutex_destroy(&e->edev->en_dev_lock);
	kfree(e->edev);
	kfree(e);
}

static struct pci_driver emu_driver = {
	.name = "fwctl_emu_bnxt",
	.id_table = emu_pci_ids,
	.probe = emu_probe,
	.remove = emu_remove,
};
module_pci_driver(emu_driver);

MODULE_DESCRIPTION("Emulated bnxt HWRM firmware for the in-tree bnxt fwctl driver (fwctl-node tests)");
MODULE_LICENSE("GPL");
