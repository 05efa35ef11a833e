// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_emu_pds: emulated AMD/Pensando DSC firmware under the kernel's own
 * drivers/fwctl/pds/main.c (pds_fwctl.ko, built unmodified).
 *
 * Stands in for pds_core: exports pds_client_adminq_cmd() and registers the
 * auxiliary device "pds_core.fwctl.<id>" (a struct pds_auxiliary_dev whose
 * vf_pdev is a QEMU edu PCI function, see emu_common.h). The driver maps
 * its buffers against that function (dma_alloc_coherent for the ident and
 * the lists, dma_map_single for each RPC payload); the firmware here reads
 * and writes them by bus address.
 *
 * The adminq as laid out in include/linux/pds/pds_adminq.h:
 *   PDS_FWCTL_CMD_IDENT   struct pds_fwctl_ident: max_req_sz = max_resp_sz = 4096
 *   PDS_FWCTL_CMD_QUERY   ROOT: the endpoint ids; ENDPOINT: its operations, each
 *                         with the firmware's attribute (PDSFC_FW_CMD_ATTR_*)
 *   PDS_FWCTL_CMD_RPC     runs the operation on req_pa/req_sz, answers into
 *                         resp_pa/resp_sz; the operation's result code is
 *                         comp.fwctl_rpc.err (userspace sees it as out.retval)
 * An adminq error is a completion status, returned as pds_core's errno.
 *
 * Endpoints and operations (command | version << 16):
 *   ep 0: 0x00000001 QUERY (ATTR_READ): payload { u8 entity; u8 version;
 *         u8 rsvd[2]; __le32 ep } answers struct pds_fwctl_query_data, the
 *         same lists the driver gets from PDS_FWCTL_CMD_QUERY (so userspace
 *         can list them; lib/pds.ts's default route)
 *   ep 1: 0x00010001 ECHO (ATTR_READ): the payload back
 *         0x00000002 DUMP (ATTR_DEBUG_READ): byte i = (i * 13 + 1) & 0xff
 *         0x00000003 POKE (ATTR_DEBUG_WRITE): accepted
 *         0x00000004 RAW  (attribute 0x20, unknown: the driver asks DEBUG_WRITE_FULL)
 *         0x00000005 FAIL (ATTR_WRITE): result = the payload's first __le32
 *                         (PDS_RC_EINVAL without one)
 *         0x00000006 SYNC (ATTR_SYNC): accepted
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands,
 * watch (signature: an RPC payload's first 8 bytes, LE), watch_hits (emu_common.h).
 */
#include <linux/auxiliary_bus.h>
#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/pds/pds_common.h>
#include <linux/pds/pds_core_if.h>
#include <linux/pds/pds_adminq.h>
#include <linux/pds/pds_auxbus.h>

#include "emu_common.h"

#define EMU_MAX_SZ	4096
#define EMU_ATTR_RAW	0x20

struct emu_pds_op {
	u32 id;
	u8 attr;
};

static const struct emu_pds_op emu_ep0_ops[] = {
	{ 0x00000001, PDSFC_FW_CMD_ATTR_READ },
};
static const struct emu_pds_op emu_ep1_ops[] = {
	{ 0x00010001, PDSFC_FW_CMD_ATTR_READ },
	{ 0x00000002, PDSFC_FW_CMD_ATTR_DEBUG_READ },
	{ 0x00000003, PDSFC_FW_CMD_ATTR_DEBUG_WRITE },
	{ 0x00000004, EMU_ATTR_RAW },
	{ 0x00000005, PDSFC_FW_CMD_ATTR_WRITE },
	{ 0x00000006, PDSFC_FW_CMD_ATTR_SYNC },
};
static const struct {
	u32 id;
	const struct emu_pds_op *ops;
	u32 nops;
} emu_eps[] = {
	{ 0, emu_ep0_ops, ARRAY_SIZE(emu_ep0_ops) },
	{ 1, emu_ep1_ops, ARRAY_SIZE(emu_ep1_ops) },
};

struct emu_pds {
	struct pci_dev *pdev;
	struct pds_auxiliary_dev *padev;
};

static struct emu_pds *emu;

/* struct pds_fwctl_query_data for ROOT (ep ignored) or ENDPOINT ep into dst; a PDS_RC_*. */
static u8 emu_query(u8 entity, u32 ep, u8 *dst, u32 cap, u32 *written)
{
	struct pds_fwctl_query_data *q = (void *)dst;
	u32 i, n, e = ARRAY_SIZE(emu_eps);

	if (cap < sizeof(*q))
		return PDS_RC_ENOSPC;
	if (entity == PDS_FWCTL_RPC_ROOT) {
		struct pds_fwctl_query_data_endpoint *ent = (void *)q->entries;

		n = ARRAY_SIZE(emu_eps);
		if (cap < sizeof(*q) + n * sizeof(*ent))
			return PDS_RC_ENOSPC;
		for (i = 0; i < n; i++)
			ent[i].id = cpu_to_le32(emu_eps[i].id);
		*written = sizeof(*q) + n * sizeof(*ent);
	} else if (entity == PDS_FWCTL_RPC_ENDPOINT) {
		struct pds_fwctl_query_data_operation *ent = (void *)q->entries;

		for (i = 0; i < ARRAY_SIZE(emu_eps); i++)
			if (emu_eps[i].id == ep)
				e = i;
		if (e == ARRAY_SIZE(emu_eps))
			return PDS_RC_ENOENT;
		n = emu_eps[e].nops;
		if (cap < sizeof(*q) + n * sizeof(*ent))
			return PDS_RC_ENOSPC;
		for (i = 0; i < n; i++) {
			memset(&ent[i], 0, sizeof(ent[i]));
			ent[i].id = cpu_to_le32(emu_eps[e].ops[i].id);
			ent[i].scope = emu_eps[e].ops[i].attr;
		}
		*written = sizeof(*q) + n * sizeof(*ent);
	} else {
		return PDS_RC_EINVAL;
	}
	q->version = 0;
	memset(q->rsvd, 0, sizeof(q->rsvd));
	q->num_entries = cpu_to_le32(n);
	return PDS_RC_SUCCESS;
}

/* One operation: the result code for comp.fwctl_rpc.err. */
static u32 emu_rpc_op(u32 ep, u32 op, const u8 *in, u32 in_len, u8 *out, u32 out_len, u32 *written)
{
	u32 i;

	*written = 0;
	if (ep == 0) {
		if (in_len < 8)
			return PDS_RC_EINVAL;
		return emu_query(in[0], get_unaligned_le32(in + 4), out, out_len, written);
	}
	switch (PDS_FWCTL_RPC_OPCODE_GET_CMD(op)) {
	case 1:		/* ECHO */
		*written = min(in_len, out_len);
		memcpy(out, in, *written);
		return 0;
	case 2:		/* DUMP */
		for (i = 0; i < out_len; i++)
			out[i] = (i * 13 + 1) & 0xff;
		*written = out_len;
		return 0;
	case 5:		/* FAIL */
		return in_len >= 4 ? get_unaligned_le32(in) : PDS_RC_EINVAL;
	default:	/* POKE, RAW, SYNC */
		return 0;
	}
}

/* The operation exists on the endpoint (PDS_FWCTL_RPC_OPCODE_CMP, as the driver matches). */
static bool emu_op_exists(u32 ep, u32 op)
{
	u32 e, i;

	for (e = 0; e < ARRAY_SIZE(emu_eps); e++) {
		if (emu_eps[e].id != ep)
			continue;
		for (i = 0; i < emu_eps[e].nops; i++)
			if (PDS_FWCTL_RPC_OPCODE_CMP(op, emu_eps[e].ops[i].id))
				return true;
	}
	return false;
}

/* The firmware: fills comp, returns a completion status (PDS_RC_*). */
static u8 emu_adminq(const union pds_core_adminq_cmd *cmd, union pds_core_adminq_comp *comp)
{
	switch (cmd->opcode) {
	case PDS_FWCTL_CMD_IDENT: {
		const struct pds_fwctl_ident_cmd *c = &cmd->fwctl_ident;
		struct pds_fwctl_ident id = {
			.features = 0,
			.version = 0,
			.max_req_sz = cpu_to_le32(EMU_MAX_SZ),
			.max_resp_sz = cpu_to_le32(EMU_MAX_SZ),
			.max_req_sg_elems = 1,
			.max_resp_sg_elems = 1,
		};

		if (le32_to_cpu(c->len) < sizeof(id))
			return PDS_RC_ENOSPC;
		memcpy(emu_dma_ptr(emu->pdev, le64_to_cpu(c->ident_pa)), &id, sizeof(id));
		return PDS_RC_SUCCESS;
	}
	case PDS_FWCTL_CMD_QUERY: {
		const struct pds_fwctl_query_cmd *c = &cmd->fwctl_query;
		u32 written;

		return emu_query(c->entity, le32_to_cpu(c->ep),
				 emu_dma_ptr(emu->pdev, le64_to_cpu(c->query_data_buf_pa)),
				 le32_to_cpu(c->query_data_buf_len), &written);
	}
	case PDS_FWCTL_CMD_RPC: {
		const struct pds_fwctl_rpc_cmd *c = &cmd->fwctl_rpc;
		u32 ep = le32_to_cpu(c->ep), op = le32_to_cpu(c->op);
		u32 req_sz = le32_to_cpu(c->req_sz), resp_sz = le32_to_cpu(c->resp_sz);
		u16 flags = le16_to_cpu(c->flags);
		const u8 *in = NULL;
		u8 *out = NULL;
		u32 written;

		if (!(flags & PDS_FWCTL_RPC_IND_REQ) || !(flags & PDS_FWCTL_RPC_IND_RESP))
			return PDS_RC_EINVAL;	/* inline requests are not emulated */
		if (req_sz > EMU_MAX_SZ || resp_sz > EMU_MAX_SZ)
			return PDS_RC_EINVAL;
		if (!emu_op_exists(ep, op))
			return PDS_RC_ENOENT;
		if (req_sz)
			in = emu_dma_ptr(emu->pdev, le64_to_cpu(c->req_pa));
		emu_watch(req_sz >= 8 ? get_unaligned_le64(in) : 0);
		if (resp_sz)
			out = emu_dma_ptr(emu->pdev, le64_to_cpu(c->resp_pa));
		comp->fwctl_rpc.err = cpu_to_le32(emu_rpc_op(ep, op, in, req_sz, out, resp_sz, &written));
		comp->fwctl_rpc.resp_sz = cpu_to_le32(written);
		return PDS_RC_SUCCESS;
	}
	default:
		return PDS_RC_EOPCODE;
	}
}

/* pds_core's pdsc_err_to_errno(), for the codes this firmware answers */
static int emu_err_to_errno(u8 status)
{
	switch (status) {
	case PDS_RC_SUCCESS:	return 0;
	case PDS_RC_EINVAL:	return -EINVAL;
	case PDS_RC_ENOENT:	return -ENOENT;
	case PDS_RC_ENOSPC:	return -ENOSPC;
	default:		return -EIO;
	}
}

int pds_client_adminq_cmd(struct pds_auxiliary_dev *padev, union pds_core_adminq_cmd *req,
			  size_t req_len, union pds_core_adminq_comp *resp, u64 flags)
{
	union pds_core_adminq_cmd cmd = {};
	u8 status;
	int err;

	if (!emu || padev != emu->padev)
		return -ENODEV;
	err = emu_channel_fault();
	if (err)
		return err;
	memcpy(&cmd, req, min(req_len, sizeof(cmd)));
	emu_firmware_step();
	memset(resp, 0, sizeof(*resp));
	status = emu_adminq(&cmd, resp);
	resp->status = status;
	resp->color = 1;
	return emu_err_to_errno(status);
}
EXPORT_SYMBOL_GPL(pds_client_adminq_cmd);

static void emu_adev_release(struct device *dev)
{
	kfree(container_of(dev, struct pds_auxiliary_dev, aux_dev.dev));
}

static int emu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pds_auxiliary_dev *padev;
	int err;

	if (!emu_is_our_function(pdev) || emu)
		return -ENODEV;
	err = emu_pci_setup(pdev);
	if (err)
		return err;
	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	padev = kzalloc(sizeof(*padev), GFP_KERNEL);
	if (!emu || !padev) {
		kfree(emu);
		kfree(padev);
		emu = NULL;
		return -ENOMEM;
	}
	emu->pdev = pdev;
	padev->vf_pdev = pdev;
	padev->client_id = 1;
	padev->aux_dev.name = PDS_DEV_TYPE_FWCTL_STR;
	padev->aux_dev.id = pci_dev_id(pdev);
	padev->aux_dev.dev.parent = &pdev->dev;
	padev->aux_dev.dev.release = emu_adev_release;
	/* Set before the add: the driver's probe sends adminq commands at once. */
	emu->padev = padev;
	err = auxiliary_device_init(&padev->aux_dev);
	if (err) {
		kfree(padev);
		goto err_free;
	}
	/* pds_core's name: the fwctl driver binds "pds_core.fwctl". */
	err = __auxiliary_device_add(&padev->aux_dev, PDS_CORE_DRV_NAME);
	if (err) {
		auxiliary_device_uninit(&padev->aux_dev);
		goto err_free;
	}
	pci_set_drvdata(pdev, emu);
	dev_info(&pdev->dev, "emulating pds firmware\n");
	return 0;

err_free:
	kfree(emu);
	emu = NULL;
	return err;
}

static void emu_remove(struct pci_dev *pdev)
{
	struct emu_pds *e = pci_get_drvdata(pdev);

	auxiliary_device_delete(&e->padev->aux_dev);
	auxiliary_device_uninit(&e->padev->aux_dev);
	emu = NULL;
	kfree(e);
}

static struct pci_driver emu_driver = {
	.name = "fwctl_emu_pds",
	.id_table = emu_pci_ids,
	.probe = emu_probe,
	.remove = emu_remove,
};
module_pci_driver(emu_driver);

MODULE_DESCRIPTION("Emulated pds firmware for the in-tree pds fwctl driver (fwctl-node tests)");
MODULE_LICENSE("GPL");
