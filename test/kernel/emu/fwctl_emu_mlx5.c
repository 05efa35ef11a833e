// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_emu_mlx5: emulated ConnectX firmware under the kernel's own
 * drivers/fwctl/mlx5/main.c (mlx5_fwctl.ko, built unmodified).
 *
 * Stands in for mlx5_core: exports exactly what mlx5_fwctl calls
 * (mlx5_cmd_exec, mlx5_cmd_do) and the mlx5_core_dev whose general
 * capability page MLX5_CAP_GEN reads, and registers the auxiliary device
 * "mlx5_core.fwctl.<id>" under a QEMU edu PCI function (see emu_common.h).
 *
 * The firmware speaks PRM as laid out in include/linux/mlx5/mlx5_ifc.h
 * (MLX5_SET/MLX5_GET on those layouts; big-endian mailboxes):
 *   CREATE_UCTX / DESTROY_UCTX  uids 1..0xfffe; a command carrying a uid the
 *                               firmware did not hand out fails BAD_PARAM
 *   QUERY_HCA_CAP               general capabilities (op_mod type 0), current
 *                               or max; other types BAD_PARAM
 *   QUERY_ADAPTER               vendor ids, vsd, psid
 *   ACCESS_REG                  read (op_mod 1) of MTMP, PMTU, MCIA; a write or
 *                               another register: BAD_PARAM
 *   NOP                         status 0
 *   anything else               BAD_OP
 * A short output mailbox is BAD_OUTP_LEN. Every non-zero status carries the
 * syndrome EMU_SYNDROME(opcode, status). mlx5_cmd_do() returns -EREMOTEIO
 * for a non-zero status and mlx5_cmd_exec() the errno mlx5_core maps it to,
 * as drivers/net/ethernet/mellanox/mlx5/core/cmd.c does.
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands
 * (emu_common.h); uctx_cap (the capability page's uctx_cap, default 0x7:
 * RAW_TX | INTERNAL_DEV_RES | TOOLS_RESOURCES; 0x3 emulates firmware
 * without the tools uid, for which the driver asks no TOOLS_RESOURCES;
 * writable at run time, taking effect at the next open).
 */
#include <linux/auxiliary_bus.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/driver.h>

#include "emu_common.h"

static uint uctx_cap = 0x7;
static int emu_set_uctx_cap(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops emu_uctx_cap_ops = {
	.set = emu_set_uctx_cap,
	.get = param_get_uint,
};
module_param_cb(uctx_cap, &emu_uctx_cap_ops, &uctx_cap, 0644);
MODULE_PARM_DESC(uctx_cap, "cmd_hca_cap.uctx_cap the firmware reports (bit 2: TOOLS_RESOURCES); "
		 "writable: as after a firmware update, the next open sees it");

/* The PRM mailbox headers (mlx5_core's cmd.c has the same private layouts). */
struct mlx5_ifc_emu_mbox_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x40];
};

struct mlx5_ifc_emu_mbox_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
};

#define EMU_HDR		MLX5_ST_SZ_BYTES(emu_mbox_in)
/* "EM", the status, the opcode's low byte: constant per failure, like firmware syndromes. */
#define EMU_SYNDROME(op, st)	(0x454d0000u | ((u32)(st) << 8) | ((op) & 0xff))

#define EMU_UCTX_TOOLS_RESOURCES	0x4	/* MLX5_UCTX_OBJECT_CAP_TOOLS_RESOURCES */

struct emu_mlx5 {
	struct pci_dev *pdev;
	struct mlx5_core_dev *mdev;
	struct mlx5_adev *madev;
	struct ida uids;
	u32 cap_cur[MLX5_UN_SZ_DW(hca_cap_union)];
	u32 cap_max[MLX5_UN_SZ_DW(hca_cap_union)];
};

static struct emu_mlx5 *emu;	/* one emulated function per module instance */

static void emu_fill_caps(u32 *cap, bool max)
{
	/* A plausible ConnectX-7 general capability page (cmd_hca_cap). */
	MLX5_SET(cmd_hca_cap, cap, vhca_id, 0);
	MLX5_SET(cmd_hca_cap, cap, log_max_qp, max ? 24 : 18);
	MLX5_SET(cmd_hca_cap, cap, log_max_cq, 24);
	MLX5_SET(cmd_hca_cap, cap, port_type, 1);	/* Ethernet */
	MLX5_SET(cmd_hca_cap, cap, num_ports, 1);
	MLX5_SET(cmd_hca_cap, cap, max_tc, 8);
	MLX5_SET(cmd_hca_cap, cap, log_max_uctx, 8);
	MLX5_SET(cmd_hca_cap, cap, uctx_cap, uctx_cap);
}

/* A new uctx_cap: the firmware's pages and mlx5_core's cached copy (what MLX5_CAP_GEN reads). */
static int emu_set_uctx_cap(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	if (err || !emu)
		return err;
	MLX5_SET(cmd_hca_cap, emu->cap_cur, uctx_cap, uctx_cap);
	MLX5_SET(cmd_hca_cap, emu->cap_max, uctx_cap, uctx_cap);
	MLX5_SET(cmd_hca_cap, emu->mdev->caps.hca[MLX5_CAP_GENERAL]->cur, uctx_cap, uctx_cap);
	MLX5_SET(cmd_hca_cap, emu->mdev->caps.hca[MLX5_CAP_GENERAL]->max, uctx_cap, uctx_cap);
	return 0;
}

static void emu_status(u16 opcode, void *out, u8 status)
{
	MLX5_SET(emu_mbox_out, out, status, status);
	MLX5_SET(emu_mbox_out, out, syndrome, status ? EMU_SYNDROME(opcode, status) : 0);
}

static u8 emu_access_reg(const void *in, int in_size, void *out, int out_size)
{
	u16 reg = MLX5_GET(access_register_in, in, register_id);
	void *data = MLX5_ADDR_OF(access_register_out, out, register_data);
	size_t need;

	if (MLX5_GET(emu_mbox_in, in, op_mod) != 1)	/* 0 = write: all read-only here */
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	switch (reg) {
	case MLX5_REG_MTMP:
		need = MLX5_ST_SZ_BYTES(mtmp_reg);
		break;
	case MLX5_REG_PMTU:
		need = MLX5_ST_SZ_BYTES(pmtu_reg);
		break;
	case MLX5_REG_MCIA:
		need = MLX5_ST_SZ_BYTES(mcia_reg);
		break;
	default:
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (out_size < MLX5_ST_SZ_BYTES(access_register_out) + need)
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	if (in_size < MLX5_ST_SZ_BYTES(access_register_in) + need)
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	/* The register's index fields come back as asked. */
	memcpy(data, MLX5_ADDR_OF(access_register_in, in, register_data), need);
	switch (reg) {
	case MLX5_REG_MTMP:	/* temperatures in 0.125 degC */
		MLX5_SET(mtmp_reg, data, temperature, 45 * 8);
		MLX5_SET(mtmp_reg, data, max_temperature, 61 * 8);
		MLX5_SET(mtmp_reg, data, temp_threshold_hi, 105 * 8);
		MLX5_SET(mtmp_reg, data, sensor_name_hi, 0x41534943);	/* "ASIC" */
		MLX5_SET(mtmp_reg, data, sensor_name_lo, 0);
		break;
	case MLX5_REG_PMTU:
		MLX5_SET(pmtu_reg, data, max_mtu, 9978);
		MLX5_SET(pmtu_reg, data, admin_mtu, 1500);
		MLX5_SET(pmtu_reg, data, oper_mtu, 1500);
		break;
	case MLX5_REG_MCIA: {
		u8 *dw = MLX5_ADDR_OF(mcia_reg, data, dwords);
		u16 size = MLX5_GET(mcia_reg, data, size);

		if (size > 48)
			size = 48;
		MLX5_SET(mcia_reg, data, status, 0);
		MLX5_SET(mcia_reg, data, size, size);
		memset(dw, 0, 48);
		dw[0] = 0x11;	/* SFF-8024 identifier: QSFP28 */
		break;
	}
	}
	return MLX5_CMD_STAT_OK;
}

/* The firmware: in is a private copy; out is zeroed, out_size >= 16. Returns the status. */
static u8 emu_exec(const void *in, int in_size, void *out, int out_size)
{
	u16 opcode = MLX5_GET(emu_mbox_in, in, opcode);
	u16 op_mod = MLX5_GET(emu_mbox_in, in, op_mod);
	u16 uid = MLX5_GET(emu_mbox_in, in, uid);
	int id;

	/* A uid the firmware never handed out. */
	if (uid && opcode != MLX5_CMD_OP_DESTROY_UCTX && !ida_exists(&emu->uids, uid))
		return MLX5_CMD_STAT_BAD_PARAM_ERR;

	switch (opcode) {
	case MLX5_CMD_OP_CREATE_UCTX: {
		u32 cap = MLX5_GET(uctx, MLX5_ADDR_OF(create_uctx_in, in, uctx), cap);

		if (in_size < MLX5_ST_SZ_BYTES(create_uctx_in))
			return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
		if (out_size < MLX5_ST_SZ_BYTES(create_uctx_out))
			return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
		if (cap & ~uctx_cap)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		id = ida_alloc_range(&emu->uids, 1, 0xfffe, GFP_KERNEL);
		if (id < 0)
			return MLX5_CMD_STAT_LIM_ERR;
		MLX5_SET(create_uctx_out, out, uid, id);
		return MLX5_CMD_STAT_OK;
	}
	case MLX5_CMD_OP_DESTROY_UCTX:
		uid = MLX5_GET(destroy_uctx_in, in, uid);
		if (!uid || !ida_exists(&emu->uids, uid))
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		ida_free(&emu->uids, uid);
		return MLX5_CMD_STAT_OK;
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		if ((op_mod >> 1) != MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		if (out_size < MLX5_ST_SZ_BYTES(query_hca_cap_out))
			return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
		memcpy(MLX5_ADDR_OF(query_hca_cap_out, out, capability),
		       (op_mod & 1) == HCA_CAP_OPMOD_GET_CUR ? emu->cap_cur : emu->cap_max,
		       MLX5_UN_SZ_BYTES(hca_cap_union));
		return MLX5_CMD_STAT_OK;
	case MLX5_CMD_OP_QUERY_ADAPTER: {
		void *q = MLX5_ADDR_OF(query_adapter_out, out, query_adapter_struct);

		if (out_size < MLX5_ST_SZ_BYTES(query_adapter_out))
			return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
		MLX5_SET(query_adapter_param_block, q, ieee_vendor_id, 0x0002c9);
		MLX5_SET(query_adapter_param_block, q, vsd_vendor_id, PCI_VENDOR_ID_MELLANOX);
		memcpy(MLX5_ADDR_OF(query_adapter_param_block, q, vsd), "fwctl emulated ConnectX", 23);
		memcpy(MLX5_ADDR_OF(query_adapter_param_block, q, vsd_contd_psid), "MT_0000000EMU", 13);
		return MLX5_CMD_STAT_OK;
	}
	case MLX5_CMD_OP_ACCESS_REG:
		return emu_access_reg(in, in_size, out, out_size);
	case MLX5_CMD_OP_NOP:
		return MLX5_CMD_STAT_OK;
	default:
		return MLX5_CMD_STAT_BAD_OP_ERR;
	}
}

/* The mailbox round trip; -EREMOTEIO when the firmware answered a non-zero status. */
int mlx5_cmd_do(struct mlx5_core_dev *dev, void *in, int in_size, void *out, int out_size)
{
	u16 opcode;
	void *copy;
	int err;
	u8 status;

	if (!emu || dev != emu->mdev)
		return -ENODEV;
	if (in_size < EMU_HDR || out_size < (int)MLX5_ST_SZ_BYTES(emu_mbox_out))
		return -EINVAL;
	err = emu_channel_fault();
	if (err)
		return err;
	/* Like mlx5_core, the input is copied first: callers may pass out == in. */
	copy = kmemdup(in, in_size, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	emu_firmware_step();
	memset(out, 0, out_size);
	opcode = MLX5_GET(emu_mbox_in, copy, opcode);
	status = emu_exec(copy, in_size, out, out_size);
	kfree(copy);
	emu_status(opcode, out, status);
	return status ? -EREMOTEIO : 0;
}
EXPORT_SYMBOL(mlx5_cmd_do);

/* cmd.c's cmd_status_to_err() */
static int emu_status_to_err(u8 status)
{
	switch (status) {
	case MLX5_CMD_STAT_OK:				return 0;
	case MLX5_CMD_STAT_BAD_OP_ERR:
	case MLX5_CMD_STAT_BAD_PARAM_ERR:
	case MLX5_CMD_STAT_BAD_RES_ERR:			return -EINVAL;
	case MLX5_CMD_STAT_LIM_ERR:			return -ENOMEM;
	default:					return -EIO;
	}
}

int mlx5_cmd_exec(struct mlx5_core_dev *dev, void *in, int in_size, void *out, int out_size)
{
	int err = mlx5_cmd_do(dev, in, in_size, out, out_size);

	if (err != -EREMOTEIO)
		return err;
	return emu_status_to_err(MLX5_GET(emu_mbox_out, out, status));
}
EXPORT_SYMBOL(mlx5_cmd_exec);

static void emu_adev_release(struct device *dev)
{
	kfree(container_of(dev, struct mlx5_adev, adev.dev));
}

static int emu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mlx5_hca_cap *gen;
	struct mlx5_adev *madev;
	int err;

	if (!emu_is_our_function(pdev) || emu)
		return -ENODEV;
	err = emu_pci_setup(pdev);
	if (err)
		return err;
	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return -ENOMEM;
	ida_init(&emu->uids);
	emu->pdev = pdev;
	emu_fill_caps(emu->cap_cur, false);
	emu_fill_caps(emu->cap_max, true);

	/* What mlx5_core leaves behind after its init: the device and its caps. */
	emu->mdev = kvzalloc(sizeof(*emu->mdev), GFP_KERNEL);
	gen = kzalloc(sizeof(*gen), GFP_KERNEL);
	if (!emu->mdev || !gen) {
		err = -ENOMEM;
		goto err_free;
	}
	memcpy(gen->cur, emu->cap_cur, sizeof(gen->cur));
	memcpy(gen->max, emu->cap_max, sizeof(gen->max));
	emu->mdev->caps.hca[MLX5_CAP_GENERAL] = gen;
	emu->mdev->pdev = pdev;
	emu->mdev->device = &pdev->dev;
	mutex_init(&emu->mdev->pci_status_mutex);

	madev = kzalloc(sizeof(*madev), GFP_KERNEL);
	if (!madev) {
		err = -ENOMEM;
		goto err_free;
	}
	madev->mdev = emu->mdev;
	madev->adev.name = "fwctl";
	madev->adev.id = pci_dev_id(pdev);
	madev->adev.dev.parent = &pdev->dev;
	madev->adev.dev.release = emu_adev_release;
	err = auxiliary_device_init(&madev->adev);
	if (err) {
		kfree(madev);
		goto err_free;
	}
	/* mlx5_core's name: the fwctl driver binds "mlx5_core.fwctl". */
	err = __auxiliary_device_add(&madev->adev, MLX5_ADEV_NAME);
	if (err) {
		auxiliary_device_uninit(&madev->adev);
		goto err_free;
	}
	emu->madev = madev;
	pci_set_drvdata(pdev, emu);
	dev_info(&pdev->dev, "emulating mlx5 firmware (uctx_cap 0x%x)\n", uctx_cap);
	return 0;

err_free:
	kfree(gen);
	kvfree(emu->mdev);
	kfree(emu);
	emu = NULL;
	return err;
}

static void emu_remove(struct pci_dev *pdev)
{
	struct emu_mlx5 *e = pci_get_drvdata(pdev);

	auxiliary_device_delete(&e->madev->adev);
	auxiliary_device_uninit(&e->madev->adev);
	emu = NULL;
	kfree(e->mdev->caps.hca[MLX5_CAP_GENERAL]);
	kvfree(e->mdev);
	ida_destroy(&e->uids);
	kfree(e);
}

static struct pci_driver emu_driver = {
	.name = "fwctl_emu_mlx5",
	.id_table = emu_pci_ids,
	.probe = emu_probe,
	.remove = emu_remove,
};
module_pci_driver(emu_driver);

MODULE_DESCRIPTION("Emulated mlx5 firmware for the in-tree mlx5 fwctl driver (fwctl-node tests)");
MODULE_LICENSE("GPL");
