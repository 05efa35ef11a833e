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
 *   QUERY_HCA_CAP               general (op_mod type 0) and Ethernet offload
 *                               (type 1) capabilities, current or max; other
 *                               types BAD_PARAM
 *   QUERY_ADAPTER               vendor ids, vsd, psid
 *   ACCESS_REG                  read (op_mod 1) of MTMP (sensors 0 "ASIC", 1
 *                               "PHY"), MTCAP, PMTU, PTYS, PMLP, PPCNT (IEEE
 *                               802.3 and RFC 2863 groups), MCAM, MCQS, MCQI
 *                               (version), MCIA (a QSFP28 page 0); MNVDA,
 *                               MNVQC, MNVIA (NV configuration, below); a
 *                               write of another or another register: BAD_PARAM
 * The known values are in test/kernel/suite/mlx5-depth.test.ts (EMU there).
 *   NOP                         status 0
 *   anything else               BAD_OP
 * A short output mailbox is BAD_OUTP_LEN. Every non-zero status carries the
 * syndrome EMU_SYNDROME(opcode, status). mlx5_cmd_do() returns -EREMOTEIO
 * for a non-zero status and mlx5_cmd_exec() the errno mlx5_core maps it to,
 * as drivers/net/ethernet/mellanox/mlx5/core/cmd.c does.
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands,
 * nv_reset, nv_refuse, nv_writes (emu_common.h; the NV configuration at
 * emu_nv_reg: an NV write nv_refuse refuses answers the status
 * EMU_NV_REFUSED, MLX5_CMD_STAT_BAD_SYS_STATE_ERR 0x4, emu.ts MLX5.NV_REFUSED);
 * uctx_cap (the capability page's uctx_cap, default 0x7: RAW_TX |
 * INTERNAL_DEV_RES | TOOLS_RESOURCES; 0x3 emulates firmware without the
 * tools uid, for which the driver asks no TOOLS_RESOURCES; writable at run
 * time, taking effect at the next open).
 */
#include <linux/auxiliary_bus.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/driver.h>

#define EMU_NV
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
	u32 eth_cur[MLX5_UN_SZ_DW(hca_cap_union)];
	u32 eth_max[MLX5_UN_SZ_DW(hca_cap_union)];
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

/* MLX5_CAP_ETHERNET_OFFLOADS: per_protocol_networking_offload_caps. */
static void emu_fill_eth_caps(u32 *cap, bool max)
{
	MLX5_SET(per_protocol_networking_offload_caps, cap, csum_cap, 1);
	MLX5_SET(per_protocol_networking_offload_caps, cap, vlan_cap, 1);
	MLX5_SET(per_protocol_networking_offload_caps, cap, lro_cap, max ? 1 : 0);
	MLX5_SET(per_protocol_networking_offload_caps, cap, max_lso_cap, 18);
	MLX5_SET(per_protocol_networking_offload_caps, cap, rss_ind_tbl_cap, max ? 11 : 8);
	MLX5_SET(per_protocol_networking_offload_caps, cap, tunnel_stateless_vxlan, 1);
	MLX5_SET(per_protocol_networking_offload_caps, cap, max_vxlan_udp_ports, 4);
	MLX5_SET(per_protocol_networking_offload_caps, cap, lro_min_mss_size, 536);
}

/* Firmware component versions (MCQS/MCQI): running 28.39.1002, pending 28.40.1000. */
#define EMU_FW_RUNNING	((28u << 24) | (39u << 16) | 1002u)
#define EMU_FW_PENDING	((28u << 24) | (40u << 16) | 1000u)

/* The module's EEPROM, page 0 (i2c 0x50) as SFF-8636 lays out a QSFP28. */
static void emu_module_page(u8 *page)
{
	memset(page, 0, 256);
	page[0] = 0x11;		/* SFF-8024 identifier: QSFP28 */
	page[128] = 0x11;
	page[130] = 0x23;	/* connector: no separable connector (DAC) */
	memcpy(page + 148, "Mellanox        ", 16);	/* vendor name */
	memcpy(page + 168, "MCP1600-C001E30N", 16);	/* part number */
	memcpy(page + 196, "MT2205VS01234   ", 16);	/* serial number */
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

/*
 * NV configuration (what mlxconfig and devlink's permanent parameters
 * change): MNVDA (0x9024) with the default / current / next value of each
 * item, MNVQC (0x9030: may this host read / write an item) and MNVIA
 * (0x9033: invalidate all, i.e. next := default), as the PRM describes them.
 * The item layouts are nv_param.c's (private to that file; the ones the
 * fixture fills are repeated here). A write (ACCESS_REG op_mod 0) goes to
 * next; current changes only at a firmware reset, which this firmware never
 * has; the capability items (nv_global_pci_cap, nv_sw_offload_cap) are
 * read-only (BAD_PARAM). The NV writes are the ACCESS_REG writes (op_mod 0)
 * of MNVDA and MNVIA; each one calls emu_nv_write() before anything else, so
 * emu_common.h's knobs work on them as in fwctl_emu_bnxt.c:
 *   nv_writes    counts it (whether it is then refused or not)
 *   nv_refuse    the next N answer EMU_NV_REFUSED and change nothing
 *   nv_reset     emu_nv_reset(): every item back to the fixture state
 * The fixture is in test/kernel/suite/nvconfig-mlx5.test.ts (FIXTURE there).
 */
struct mlx5_ifc_emu_nv_global_pci_conf_bits {
	u8 sriov_valid[0x1];
	u8 reserved_at_1[0xa];
	u8 per_pf_num_sf[0x1];
	u8 reserved_at_c[0x5];
	u8 per_pf_total_vf[0x1];
	u8 reserved_at_12[0xe];
	u8 sriov_en[0x1];
	u8 reserved_at_21[0xf];
	u8 total_vfs[0x10];
	u8 reserved_at_40[0x20];
};

struct mlx5_ifc_emu_nv_global_pci_cap_bits {
	u8 max_vfs_per_pf_valid[0x1];
	u8 reserved_at_1[0x13];
	u8 per_pf_total_vf_supported[0x1];
	u8 reserved_at_15[0xb];
	u8 sriov_support[0x1];
	u8 reserved_at_21[0xf];
	u8 max_vfs_per_pf[0x10];
	u8 reserved_at_40[0x60];
};

struct mlx5_ifc_emu_nv_pf_pci_conf_bits {
	u8 log_sf_bar_size[0x8];
	u8 pf_total_sf_en[0x1];
	u8 pf_total_vf_en[0x1];
	u8 reserved_at_a[0x6];
	u8 total_sf[0x10];
	u8 reserved_at_20[0x20];
	u8 reserved_at_40[0x10];
	u8 total_vf[0x10];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_emu_nv_sw_offload_conf_bits {
	u8 ip_over_vxlan_port[0x10];
	u8 reserved_at_10[0xd];
	u8 cqe_compression[0x3];
	u8 reserved_at_20[0x1c];
	u8 lro_log_timeout0[0x4];
};

/* The MNVDA header (config_item) as far as the firmware reads it, and the data after it. */
struct mlx5_ifc_emu_mnvda_bits {
	u8 reserved_at_0[0x8];
	u8 access_mode[0x2];
	u8 reserved_at_a[0xd];
	u8 length[0x9];
	u8 type[0x20];
	u8 reserved_at_40[0x20];
	u8 data[0x800];
};

struct mlx5_ifc_emu_mnvqc_bits {
	u8 type[0x20];
	u8 reserved_at_20[0x18];
	u8 version[0x4];
	u8 reserved_at_3c[0x2];
	u8 support_wr[0x1];
	u8 support_rd[0x1];
};

struct mlx5_ifc_emu_mnvia_bits {
	u8 reserved_at_0[0x17];
	u8 writer_id[0x5];
	u8 reserved_at_1c[0x1];
	u8 target[0x3];
	u8 reserved_at_20[0x20];
};

#define EMU_REG_MNVQC	0x9030
#define EMU_REG_MNVIA	0x9033
#define EMU_NV_MAX	20	/* data bytes of the longest item here */
/* The status of an NV write refused by nv_refuse: the firmware is busy / in the wrong state. */
#define EMU_NV_REFUSED	MLX5_CMD_STAT_BAD_SYS_STATE_ERR

enum { EMU_NV_NEXT, EMU_NV_CURRENT, EMU_NV_DEFAULT, EMU_NV_MODES };

struct emu_nv_item {
	u8 type_class;
	u32 index;		/* 24 bits (class 3: 10 bits) */
	u16 len;		/* data bytes */
	bool cap;		/* read-only */
	u32 val[EMU_NV_MODES][EMU_NV_MAX / 4];
};

/* Class 0 (global) and 3 (per host PF), the indexes of nv_param.c; 0x150 is an item the kernel does not name. */
static struct emu_nv_item emu_nv[] = {
	{ 0, 0x80, MLX5_ST_SZ_BYTES(emu_nv_global_pci_conf) },
	{ 0, 0x81, MLX5_ST_SZ_BYTES(emu_nv_global_pci_cap), true },
	{ 0, 0x10a, 8 },	/* nv_sw_offload_conf */
	{ 0, 0x10b, 4, true },	/* nv_sw_offload_cap */
	{ 0, 0x11d, 8 },	/* nv_sw_accelerate_conf */
	{ 3, 0x80, MLX5_ST_SZ_BYTES(emu_nv_pf_pci_conf) },
	{ 0, 0x150, 4 },	/* raw: 0xdeadbeef */
};

static DEFINE_MUTEX(emu_nv_lock);

/* The fixture: SR-IOV per PF, 8 VFs pending (next) over 4 running (current), 0 by default. */
static void emu_nv_fixture(void)
{
	int m;

	for (m = 0; m < ARRAY_SIZE(emu_nv); m++)
		memset(emu_nv[m].val, 0, sizeof(emu_nv[m].val));
	for (m = 0; m < EMU_NV_MODES; m++) {
		u32 *g = emu_nv[0].val[m], *cap = emu_nv[1].val[m], *sw = emu_nv[2].val[m], *pf = emu_nv[5].val[m];

		MLX5_SET(emu_nv_global_pci_cap, cap, max_vfs_per_pf_valid, 1);
		MLX5_SET(emu_nv_global_pci_cap, cap, per_pf_total_vf_supported, 1);
		MLX5_SET(emu_nv_global_pci_cap, cap, sriov_support, 1);
		MLX5_SET(emu_nv_global_pci_cap, cap, max_vfs_per_pf, 16);
		/* nv_sw_offload_cap: swp_l4_csum_mode_l4_only 0 (val all zero) */
		MLX5_SET(emu_nv_global_pci_conf, g, sriov_valid, 1);
		MLX5_SET(emu_nv_global_pci_conf, g, sriov_en, 1);
		MLX5_SET(emu_nv_global_pci_conf, g, per_pf_total_vf, 1);
		MLX5_SET(emu_nv_sw_offload_conf, sw, ip_over_vxlan_port, 4789);
		MLX5_SET(emu_nv_sw_offload_conf, sw, lro_log_timeout0, 6);
		MLX5_SET(emu_nv_pf_pci_conf, pf, pf_total_vf_en, m != EMU_NV_DEFAULT);
		MLX5_SET(emu_nv_pf_pci_conf, pf, total_vf, m == EMU_NV_NEXT ? 8 : m == EMU_NV_CURRENT ? 4 : 0);
		emu_nv[6].val[m][0] = cpu_to_be32(0xdeadbeef);
	}
}

/* emu_common.h's nv_reset: the NV store back to the fixture (the knob zeroes the counters). */
static void emu_nv_reset(void)
{
	mutex_lock(&emu_nv_lock);
	emu_nv_fixture();
	mutex_unlock(&emu_nv_lock);
}

/* The item a type word names (class 3: the per-host-PF layout, a 10-bit index). */
static struct emu_nv_item *emu_nv_find(u32 type)
{
	u8 cls = type >> 24;
	u32 index = cls == 3 ? type & 0x3ff : type & 0xffffff;
	int i;

	for (i = 0; i < ARRAY_SIZE(emu_nv); i++)
		if (emu_nv[i].type_class == cls && emu_nv[i].index == index)
			return &emu_nv[i];
	return NULL;
}

static u8 emu_nv_reg(u16 reg, bool write, const void *in, int in_size, void *data, int data_size)
{
	const void *req = MLX5_ADDR_OF(access_register_in, in, register_data);
	int req_size = in_size - MLX5_ST_SZ_BYTES(access_register_in);
	struct emu_nv_item *it;
	u8 status = MLX5_CMD_STAT_OK;
	int i, mode;

	mutex_lock(&emu_nv_lock);
	/* An NV write reached the firmware: counted, and refused while nv_refuse lasts. */
	if (write && reg != EMU_REG_MNVQC && emu_nv_write()) {
		mutex_unlock(&emu_nv_lock);
		return EMU_NV_REFUSED;
	}
	switch (reg) {
	case EMU_REG_MNVQC:
		if (write || req_size < MLX5_ST_SZ_BYTES(emu_mnvqc) || data_size < MLX5_ST_SZ_BYTES(emu_mnvqc)) {
			status = write ? MLX5_CMD_STAT_BAD_PARAM_ERR : MLX5_CMD_STAT_BAD_INP_LEN_ERR;
			break;
		}
		memcpy(data, req, MLX5_ST_SZ_BYTES(emu_mnvqc));
		it = emu_nv_find(MLX5_GET(emu_mnvqc, req, type));
		MLX5_SET(emu_mnvqc, data, support_rd, !!it);
		MLX5_SET(emu_mnvqc, data, support_wr, it && !it->cap);
		MLX5_SET(emu_mnvqc, data, version, 0);
		break;
	case EMU_REG_MNVIA:
		if (!write || req_size < MLX5_ST_SZ_BYTES(emu_mnvia) || MLX5_GET(emu_mnvia, req, target) != 0) {
			status = MLX5_CMD_STAT_BAD_PARAM_ERR;
			break;
		}
		for (i = 0; i < ARRAY_SIZE(emu_nv); i++)
			if (!emu_nv[i].cap)
				memcpy(emu_nv[i].val[EMU_NV_NEXT], emu_nv[i].val[EMU_NV_DEFAULT], sizeof(emu_nv[i].val[0]));
		if (data_size >= MLX5_ST_SZ_BYTES(emu_mnvia))
			memcpy(data, req, MLX5_ST_SZ_BYTES(emu_mnvia));
		break;
	default: {	/* MNVDA */
		int hdr = MLX5_BYTE_OFF(emu_mnvda, data);
		int len;

		if (req_size < hdr || data_size < hdr) {
			status = MLX5_CMD_STAT_BAD_INP_LEN_ERR;
			break;
		}
		it = emu_nv_find(MLX5_GET(emu_mnvda, req, type));
		len = MLX5_GET(emu_mnvda, req, length);
		mode = MLX5_GET(emu_mnvda, req, access_mode);
		if (!it || mode >= EMU_NV_MODES) {
			status = MLX5_CMD_STAT_BAD_PARAM_ERR;
			break;
		}
		if (write) {
			/* writes go to next; a capability cannot be written; the whole item */
			if (it->cap || len != it->len || req_size < hdr + it->len) {
				status = MLX5_CMD_STAT_BAD_PARAM_ERR;
				break;
			}
			memcpy(it->val[EMU_NV_NEXT], (const u8 *)req + hdr, it->len);
		}
		if (data_size < hdr + it->len) {
			status = MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
			break;
		}
		memcpy(data, req, hdr);
		MLX5_SET(emu_mnvda, data, length, it->len);
		memcpy((u8 *)data + hdr, it->val[write ? EMU_NV_NEXT : mode], it->len);
		break;
	}
	}
	mutex_unlock(&emu_nv_lock);
	return status;
}

static u8 emu_access_reg(const void *in, int in_size, void *out, int out_size)
{
	u16 reg = MLX5_GET(access_register_in, in, register_id);
	void *data = MLX5_ADDR_OF(access_register_out, out, register_data);
	size_t need, need_out = 0;

	if (in_size < MLX5_ST_SZ_BYTES(access_register_in) || out_size < MLX5_ST_SZ_BYTES(access_register_out))
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	if (reg == MLX5_REG_MNVDA || reg == EMU_REG_MNVQC || reg == EMU_REG_MNVIA)
		return emu_nv_reg(reg, MLX5_GET(emu_mbox_in, in, op_mod) == 0, in, in_size, data,
				  out_size - MLX5_ST_SZ_BYTES(access_register_out));
	if (MLX5_GET(emu_mbox_in, in, op_mod) != 1)	/* 0 = write: the others are read-only here */
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
	case MLX5_REG_MTCAP:
		need = MLX5_ST_SZ_BYTES(mtcap_reg);
		break;
	case MLX5_REG_PTYS:
		need = MLX5_ST_SZ_BYTES(ptys_reg);
		break;
	case MLX5_REG_PMLP:
		need = MLX5_ST_SZ_BYTES(pmlp_reg);
		break;
	case MLX5_REG_PPCNT:
		need = MLX5_ST_SZ_BYTES(ppcnt_reg);
		break;
	case MLX5_REG_MCAM:
		need = MLX5_ST_SZ_BYTES(mcam_reg);
		break;
	case MLX5_REG_MCQS:
		need = MLX5_ST_SZ_BYTES(mcqs_reg);
		break;
	case MLX5_REG_MCQI:	/* the header in; the header and data_size bytes of data out */
		need = MLX5_ST_SZ_BYTES(mcqi_reg);
		need_out = need + MLX5_ST_SZ_BYTES(mcqi_version);
		break;
	default:
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (!need_out)
		need_out = need;
	if (out_size < MLX5_ST_SZ_BYTES(access_register_out) + need_out)
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	if (in_size < MLX5_ST_SZ_BYTES(access_register_in) + need)
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	/* The register's index fields come back as asked. */
	memcpy(data, MLX5_ADDR_OF(access_register_in, in, register_data), need);
	switch (reg) {
	case MLX5_REG_MTMP:	/* temperatures in 0.125 degC; the sensors MTCAP maps */
		switch (MLX5_GET(mtmp_reg, data, sensor_index)) {
		case 0:
			MLX5_SET(mtmp_reg, data, temperature, 45 * 8);
			MLX5_SET(mtmp_reg, data, max_temperature, 61 * 8);
			MLX5_SET(mtmp_reg, data, temp_threshold_hi, 105 * 8);
			MLX5_SET(mtmp_reg, data, sensor_name_hi, 0x41534943);	/* "ASIC" */
			MLX5_SET(mtmp_reg, data, sensor_name_lo, 0);
			break;
		case 1:
			MLX5_SET(mtmp_reg, data, temperature, 52 * 8 + 4);	/* 52.5 */
			MLX5_SET(mtmp_reg, data, max_temperature, 58 * 8);
			MLX5_SET(mtmp_reg, data, temp_threshold_hi, 95 * 8);
			MLX5_SET(mtmp_reg, data, sensor_name_hi, 0x50485900);	/* "PHY" */
			MLX5_SET(mtmp_reg, data, sensor_name_lo, 0);
			break;
		default:
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
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
		u16 addr = MLX5_GET(mcia_reg, data, device_address);
		u8 page[256];

		memset(dw, 0, 48);
		if (MLX5_GET(mcia_reg, data, page_number) || addr + size > 256) {
			MLX5_SET(mcia_reg, data, status, 0x3);	/* bad page/offset: MCIA's own status */
			break;
		}
		emu_module_page(page);
		memcpy(dw, page + addr, size);
		break;
	}
	case MLX5_REG_MTCAP:	/* two sensors: 0 (ASIC) and 1 (PHY) */
		MLX5_SET(mtcap_reg, data, sensor_count, 2);
		MLX5_SET64(mtcap_reg, data, sensor_map, 0x3);
		break;
	case MLX5_REG_PTYS:	/* Ethernet: 100GBASE-CR4/SR4 and 25GBASE-SR capable, CR4 up */
		if (MLX5_GET(ptys_reg, data, proto_mask) != MLX5_PTYS_EN)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		MLX5_SET(ptys_reg, data, eth_proto_capability, BIT(20) | BIT(21) | BIT(29));
		MLX5_SET(ptys_reg, data, eth_proto_admin, BIT(20) | BIT(21));
		MLX5_SET(ptys_reg, data, eth_proto_oper, BIT(20));
		MLX5_SET(ptys_reg, data, eth_proto_lp_advertise, BIT(20));
		MLX5_SET(ptys_reg, data, an_status, 1);
		MLX5_SET(ptys_reg, data, connector_type, 0x7);	/* DA (copper) */
		break;
	case MLX5_REG_PMLP: {	/* four lanes, all on module 0 */
		int i;

		MLX5_SET(pmlp_reg, data, width, 4);
		for (i = 0; i < 4; i++) {
			void *lane = (u8 *)MLX5_ADDR_OF(pmlp_reg, data, lane0_module_mapping) + 4 * i;

			MLX5_SET(lane_2_module_mapping, lane, module, 0);
			MLX5_SET(lane_2_module_mapping, lane, tx_lane, i);
			MLX5_SET(lane_2_module_mapping, lane, rx_lane, i);
		}
		break;
	}
	case MLX5_REG_PPCNT: {
		void *c = MLX5_ADDR_OF(ppcnt_reg, data, counter_set);

		switch (MLX5_GET(ppcnt_reg, data, grp)) {
		case MLX5_IEEE_802_3_COUNTERS_GROUP:
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_frames_transmitted_ok_high, 0);
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_frames_transmitted_ok_low, 1000000);
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_frames_received_ok_low, 2000000);
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_frame_check_sequence_errors_low, 3);
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_octets_transmitted_ok_high, 1);
			MLX5_SET(eth_802_3_cntrs_grp_data_layout, c, a_octets_transmitted_ok_low, 5);
			break;
		case MLX5_RFC_2863_COUNTERS_GROUP:
			MLX5_SET(eth_2863_cntrs_grp_data_layout, c, if_in_octets_low, 123456789);
			MLX5_SET(eth_2863_cntrs_grp_data_layout, c, if_in_discards_low, 7);
			MLX5_SET(eth_2863_cntrs_grp_data_layout, c, if_out_errors_low, 2);
			break;
		default:
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		break;
	}
	case MLX5_REG_MCAM:	/* group 0: the registers this firmware answers */
		if (MLX5_GET(mcam_reg, data, feature_group) || MLX5_GET(mcam_reg, data, access_reg_group))
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcqi, 1);
		MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcqs, 1);
		MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mtmp, 1);
		MLX5_SET(mcam_reg, data, mng_feature_cap_mask.enhanced_features.mtpps_fs, 1);
		break;
	case MLX5_REG_MCQS:	/* one component: the boot image, an update pending reset */
		if (MLX5_GET(mcqs_reg, data, component_index))
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		MLX5_SET(mcqs_reg, data, last_index_flag, 1);
		MLX5_SET(mcqs_reg, data, identifier, 0x1);		/* BOOT_IMG */
		MLX5_SET(mcqs_reg, data, component_update_state, 0x4);	/* ACTIVE_PENDING_RESET */
		break;
	case MLX5_REG_MCQI: {
		void *v = MLX5_ADDR_OF(mcqi_reg, data, data);
		bool pending = MLX5_GET(mcqi_reg, data, read_pending_component);
		const char *str = pending ? "28.40.1000" : "28.39.1002";

		if (MLX5_GET(mcqi_reg, data, component_index) || MLX5_GET(mcqi_reg, data, info_type) != 0x1)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		MLX5_SET(mcqi_reg, data, info_size, MLX5_ST_SZ_BYTES(mcqi_version));
		MLX5_SET(mcqi_reg, data, data_size, MLX5_ST_SZ_BYTES(mcqi_version));
		MLX5_SET(mcqi_version, v, version, pending ? EMU_FW_PENDING : EMU_FW_RUNNING);
		MLX5_SET(mcqi_version, v, version_string_length, strlen(str));
		memcpy(MLX5_ADDR_OF(mcqi_version, v, version_string), str, strlen(str));
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
	{
		bool cur = (op_mod & 1) == HCA_CAP_OPMOD_GET_CUR;
		const u32 *page;

		switch (op_mod >> 1) {
		case MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE:
			page = cur ? emu->cap_cur : emu->cap_max;
			break;
		case MLX5_SET_HCA_CAP_OP_MOD_ETHERNET_OFFLOADS:
			page = cur ? emu->eth_cur : emu->eth_max;
			break;
		default:
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		}
		if (out_size < MLX5_ST_SZ_BYTES(query_hca_cap_out))
			return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
		memcpy(MLX5_ADDR_OF(query_hca_cap_out, out, capability), page, MLX5_UN_SZ_BYTES(hca_cap_union));
		return MLX5_CMD_STAT_OK;
	}
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
	emu_fill_eth_caps(emu->eth_cur, false);
	emu_fill_eth_caps(emu->eth_max, true);
	emu_nv_fixture();

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
