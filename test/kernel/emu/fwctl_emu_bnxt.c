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
 *   anything else           HWRM_ERR_CODE_CMD_NOT_SUPPORTED (0xffff)
 * A bad argument is HWRM_ERR_CODE_INVALID_PARAMS in struct hwrm_err_output.
 * bnxt_send_msg() copies min(resp_len, resp_max_len) bytes of the response
 * and returns the errno bnxt_en maps error_code to (__hwrm_to_stderr).
 *
 * Directory entry (the HWRM spec's layout is not in the kernel headers; this
 * is the emulator's, EMU_NVM_ENTRY_LEN = 24 bytes, little-endian):
 *   __le16 dir_type, __le16 dir_ordinal, __le16 dir_ext, __le16 dir_attr,
 *   __le32 dir_item_length, __le32 dir_data_length, __le32 fw_ver, __le16 dir_idx, u8 rsvd[2]
 * Item k's byte i is (k * 31 + i * 7) & 0xff.
 * Coredump segment s (component 1, segment s + 1) is EMU_SEG_LEN bytes,
 * byte i = (s * 17 + i) & 0xff.
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands
 * (emu_common.h).
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/bnxt/hsi.h>
#include <linux/bnxt/ulp.h>

#include "emu_common.h"

#define EMU_NVM_ITEMS		4
#define EMU_NVM_ENTRY_LEN	24
#define EMU_NVM_ITEM_LEN	4096
#define EMU_SEGMENTS		3
#define EMU_SEG_LEN		10000
#define EMU_RESP_MAX		512

struct emu_bnxt {
	struct pci_dev *pdev;
	struct bnxt_en_dev *edev;
	struct bnxt_aux_priv *aux;
};

static struct emu_bnxt *emu;

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
			dst[i] = (idx * 31 + (off + i) * 7) & 0xff;
		*resp_len = sizeof(struct hwrm_nvm_read_output);
		return 0;
	}
	case HWRM_DBG_COREDUMP_LIST: {
		const struct hwrm_dbg_coredump_list_input *in = (const void *)req;
		struct hwrm_dbg_coredump_list_output *o = (void *)resp;
		u32 cap = le32_to_cpu(in->host_buf_len) / sizeof(struct coredump_segment_record);
		struct coredump_segment_record *r =
			emu_dma_ptr(emu->pdev, le64_to_cpu(in->host_dest_addr));
		u32 n = min_t(u32, cap, EMU_SEGMENTS);

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
	err = emu_hwrm(req, fw_msg->msg_len, resp, &resp_len);
	if (err) {
		struct hwrm_err_output *o = (void *)resp;

		memset(resp, 0, EMU_RESP_MAX);
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

	auxiliary_device_delete(&e->aux->aux_dev);
	auxiliary_device_uninit(&e->aux->aux_dev);
	emu = NULL;
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
