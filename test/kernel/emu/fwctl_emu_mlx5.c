// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_emu_mlx5: emulated ConnectX firmware under the kernel's own
 * drivers/fwctl/mlx5/main.c (mlx5_fwctl.ko, built unmodified).
 *
 * Stands in for mlx5_core: exports exactly what mlx5_fwctl calls
 * (mlx5_cmd_exec, mlx5_cmd_do) and the mlx5_core_dev whose general
 * capability page MLX5_CAP_GEN reads, and registers the auxiliary device
 * "mlx5_core.fwctl.<id>" under a QEMU edu PCI function (see emu_common.h).
 * Up to two functions (bdf= a comma-separated list; run-vm.sh gives
 * 0000:00:10.0 and 0000:00:13.0): each has its own uids, capability pages,
 * firmware update state and versions; the NV store and the knobs are shared.
 *
 * The firmware speaks PRM as laid out in include/linux/mlx5/mlx5_ifc.h
 * (MLX5_SET/MLX5_GET on those layouts; big-endian mailboxes):
 *   CREATE_UCTX / DESTROY_UCTX  uids 1..0xfffe; a command carrying a uid the
 *                               firmware did not hand out fails BAD_PARAM;
 *                               DESTROY_UCTX leaves the update FSM alone
 *   QUERY_HCA_CAP               general (op_mod type 0) and Ethernet offload
 *                               (type 1) capabilities, current or max; other
 *                               types BAD_PARAM
 *   QUERY_ADAPTER               vendor ids, vsd, psid
 *   ACCESS_REG                  read (op_mod 1) of MTMP (sensors 0 "ASIC", 1
 *                               "PHY"), MTCAP, PMTU, PTYS, PMLP, PPCNT (IEEE
 *                               802.3 and RFC 2863 groups), MCAM (groups 0-3:
 *                               0 mcqi mcqs mcc mcda mtmp, 2 mirc), MCIA (a
 *                               QSFP28 page 0); MNVDA, MNVQC, MNVIA (NV
 *                               configuration, below); MCQS, MCQI
 *                               (capabilities, version), MCC, MCDA, MIRC
 *                               (firmware update, emu_flash_reg below); a
 *                               write of another register: BAD_PARAM
 * The known values are in test/kernel/suite/mlx5-depth.test.ts (EMU there).
 *   NOP                         status 0
 *   anything else               BAD_OP
 * A short output mailbox is BAD_OUTP_LEN. Every non-zero status carries the
 * syndrome EMU_SYNDROME(opcode, status). mlx5_cmd_do() returns -EREMOTEIO
 * for a non-zero status and mlx5_cmd_exec() the errno mlx5_core maps it to,
 * as drivers/net/ethernet/mellanox/mlx5/core/cmd.c does.
 *
 * Firmware update (mlxfw.h's FSM; after load and after flash_reset: IDLE,
 * running 28.39.1002, 28.40.1000 pending a reset, MCQS ACTIVE_PENDING_RESET):
 * MCC LOCK (the handle an MCC query gave) -> LOCKED; UPDATE_COMPONENT
 * (<= 2 MiB; refused with error 9 BLOCKED_PENDING_RESET while an image is
 * pending: MIRC first) -> DOWNLOAD, the next query shows INITIALIZE (unless
 * an MCDA write came first); MCDA writes (<= 128 bytes, offset % 4 == 0); VERIFY -> the next query shows
 * VERIFY, then LOCKED, or error 8 BAD_FORMAT / 3 NOT_APPLICABLE (PSID) /
 * 2 DIGEST_ERR (crc) in DOWNLOAD; ACTIVATE -> the next query shows ACTIVATE,
 * the image's version pending; CANCEL -> LOCKED; RELEASE -> IDLE. While an
 * error code is set only CANCEL and RELEASE are accepted. A wrong handle, an
 * instruction the state does not allow or a component index != 0: BAD_PARAM.
 * MIRC write, then reads: BUSY once, then OK (the pending image dropped) or
 * FW_ALREADY_ACTIVATED (none was pending).
 *
 * Module parameters: bdf, latency_ms, fault_errno, fault_count, commands,
 * nv_reset, nv_refuse, nv_writes (emu_common.h; the NV configuration at
 * emu_nv_reg: an NV write nv_refuse refuses answers the status
 * EMU_NV_REFUSED, MLX5_CMD_STAT_BAD_SYS_STATE_ERR 0x4, emu.ts MLX5.NV_REFUSED);
 * uctx_cap (the capability page's uctx_cap, default 0x7: RAW_TX |
 * INTERNAL_DEV_RES | TOOLS_RESOURCES; 0x3 emulates firmware without the
 * tools uid, for which the driver asks no TOOLS_RESOURCES; writable at run
 * time, taking effect at the next open; every function). Firmware update
 * (emu.ts flashReset, flashState, flashBlocks, setFlashKnob):
 *   flash_reset    write: every function's FSM IDLE, its store dropped, the
 *                  fixture versions, flash_blocks 0, the flash_* knobs 0
 *   flash_error    an FSM error code to inject (mlxfw.h mlxfw_fsm_state_err)
 *   flash_error_at where it hits, once (then back to 0): MCC instruction 3
 *                  (UPDATE_COMPONENT), 4 (VERIFY), 6 (ACTIVATE), or 0x63 the
 *                  next MCDA write (status OK, the data not taken); the
 *                  error_code is set, the state stays
 *   flash_slow_us  each MCDA write takes this long
 *   flash_nowork   1: MCDA writes are checked but not copied, VERIFY skips
 *                  the image check (the pending version: the running one + 1)
 *   flash_no_mirc  1: MCAM does not report MIRC (mlxfw then skips it)
 *   flash_state    read-only: the first function's control_state
 *                  (flash_state2: the second's)
 *   flash_blocks   read-only: MCDA writes accepted since flash_reset
 */
#include <linux/auxiliary_bus.h>
#include <linux/crc32.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
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

/*
 * Firmware update (what mlxfw_fsm.c drives through fw.c's mlx5_mlxfw_dev_ops,
 * and what a user tool drives the same way through ACCESS_REG): the MCC
 * state machine, MCDA downloads into the component store, the image check at
 * VERIFY, ACTIVATE making the image the pending one, MIRC dropping a pending
 * image. The states and error codes are mlxfw.h's (enum mlxfw_fsm_state,
 * mlxfw_fsm_state_err, mlxfw_fsm_reactivate_status). Per function (struct
 * emu_flash in struct emu_mlx5); the knobs are shared.
 *
 * The image the firmware accepts (the "EMU component", written by
 * scripts/make-mlx5-fw-image.js; big-endian): "FWCTLEMU", version u32,
 * payload_len u32, psid[16] (NUL padded), 32 reserved bytes, the payload,
 * then the CRC-32 (zlib's) of everything before it. 68 + payload_len bytes.
 */
enum {
	EMU_FSM_IDLE, EMU_FSM_LOCKED, EMU_FSM_INITIALIZE, EMU_FSM_DOWNLOAD,
	EMU_FSM_VERIFY, EMU_FSM_APPLY, EMU_FSM_ACTIVATE,
};

enum {
	EMU_FSM_OK, EMU_FSM_ERROR, EMU_FSM_DIGEST_ERR, EMU_FSM_NOT_APPLICABLE,
	EMU_FSM_BAD_FORMAT = 8, EMU_FSM_BLOCKED_PENDING_RESET = 9,
};

enum {	/* fw.c's enum mlxsw_reg_mcc_instruction */
	EMU_MCC_LOCK = 1, EMU_MCC_RELEASE = 2, EMU_MCC_UPDATE = 3,
	EMU_MCC_VERIFY = 4, EMU_MCC_ACTIVATE = 6, EMU_MCC_CANCEL = 8,
};

#define EMU_MIRC_OK		0
#define EMU_MIRC_BUSY		1
#define EMU_MIRC_ALREADY	7	/* FW_ALREADY_ACTIVATED */

#define EMU_FW_MAX		(2u << 20)	/* MCQI max_component_size */
#define EMU_MCDA_MAX		128		/* MCQI mcda_max_write_size */
#define EMU_FW_RUNNING_SIZE	(1u << 20)	/* MCQI component_size: the running image's */
#define EMU_MCDA_ERROR_AT	0x63		/* flash_error_at: the next MCDA write */
#define EMU_HANDLE_OWNER_CMDIF	4		/* handle_owner_type: command interface */
#define EMU_IMG_HDR		64
#define EMU_IMG_MIN		(EMU_IMG_HDR + 4)
#define EMU_PSID		"MT_0000000EMU"

struct emu_flash {
	struct mutex lock;
	u8 state;		/* EMU_FSM_* */
	u8 shown;		/* a transient state the next MCC query shows instead (0: none) */
	u8 error;		/* EMU_FSM_* error code, until CANCEL or RELEASE */
	u32 handle;		/* locked: the handle; IDLE: the one the next LOCK must present */
	unsigned long last_cmd;	/* jiffies of the last MCC/MCDA write carrying the handle */
	u8 *store;		/* the component being downloaded (vzalloc, size bytes) */
	u32 size;		/* UPDATE_COMPONENT's component_size */
	u32 written;		/* end of the furthest MCDA write (control_progress) */
	bool staged;		/* VERIFY passed: ACTIVATE may run */
	u32 staged_version;
	u32 running, pending;	/* versions; pending valid while has_pending */
	bool has_pending;	/* an activated image waits for a reset (MCQS ACTIVE_PENDING_RESET) */
	u8 mirc;		/* MIRC: 0 nothing asked, 1 asked (next read BUSY), 2 answered */
	u8 mirc_status;		/* the answer after BUSY */
};

static int flash_error;
module_param(flash_error, int, 0644);
MODULE_PARM_DESC(flash_error, "the FSM error code flash_error_at injects");
static int flash_error_at;
module_param(flash_error_at, int, 0644);
MODULE_PARM_DESC(flash_error_at, "MCC instruction (3, 4, 6) or 0x63 (MCDA write) the next flash_error hits, once");
static uint flash_slow_us;
module_param(flash_slow_us, uint, 0644);
MODULE_PARM_DESC(flash_slow_us, "microseconds each MCDA write takes");
static int flash_nowork;
module_param(flash_nowork, int, 0644);
MODULE_PARM_DESC(flash_nowork, "1: MCDA data is checked, not copied; VERIFY skips the image check (benchmarks)");
static int flash_no_mirc;
module_param(flash_no_mirc, int, 0644);
MODULE_PARM_DESC(flash_no_mirc, "1: MCAM does not report MIRC");
static atomic_t emu_flash_blocks = ATOMIC_INIT(0);

static u32 emu_flash_token(void)
{
	u32 h;

	do
		h = get_random_u32() & 0xffffff;
	while (!h);
	return h;
}

/* The fixture: idle, running 28.39.1002, 28.40.1000 pending a reset. Called with lock held (or before use). */
static void emu_flash_fixture(struct emu_flash *f)
{
	vfree(f->store);
	f->store = NULL;
	f->state = EMU_FSM_IDLE;
	f->shown = 0;
	f->error = 0;
	f->handle = emu_flash_token();
	f->size = f->written = 0;
	f->staged = false;
	f->running = EMU_FW_RUNNING;
	f->pending = EMU_FW_PENDING;
	f->has_pending = true;
	f->mirc = 0;
}

/* The download dropped (CANCEL, RELEASE). */
static void emu_flash_drop(struct emu_flash *f)
{
	vfree(f->store);
	f->store = NULL;
	f->size = f->written = 0;
	f->staged = false;
}

/* flash_error_at == at: spend it (once) and return flash_error; else 0. */
static u8 emu_flash_injected(int at)
{
	u8 err = 0;

	spin_lock(&emu_fault_lock);
	if (flash_error_at && flash_error_at == at) {
		err = flash_error;
		flash_error_at = 0;
	}
	spin_unlock(&emu_fault_lock);
	return err;
}

/* The image check at VERIFY: the error code, or 0 with *version the image's. */
static u8 emu_flash_check(const struct emu_flash *f, u32 *version)
{
	static const char psid[16] = EMU_PSID;
	const u8 *img = f->store;
	u32 len;

	if (READ_ONCE(flash_nowork)) {	/* nothing was copied: a version one past the running one */
		*version = f->running + 1;
		return EMU_FSM_OK;
	}
	if (f->size < EMU_IMG_MIN || memcmp(img, "FWCTLEMU", 8))
		return EMU_FSM_BAD_FORMAT;
	len = get_unaligned_be32(img + 12);
	if (len != f->size - EMU_IMG_MIN)
		return EMU_FSM_BAD_FORMAT;
	if (memcmp(img + 16, psid, sizeof(psid)))
		return EMU_FSM_NOT_APPLICABLE;
	if (~crc32_le(~0, img, EMU_IMG_HDR + len) != get_unaligned_be32(img + EMU_IMG_HDR + len))
		return EMU_FSM_DIGEST_ERR;
	*version = get_unaligned_be32(img + 8);
	return EMU_FSM_OK;
}

/* An MCC write (op_mod 0): an instruction. Mailbox status; FSM errors go to f->error. */
static u8 emu_mcc_write(struct emu_flash *f, const void *req)
{
	u8 instr = MLX5_GET(mcc_reg, req, instruction);
	u32 handle = MLX5_GET(mcc_reg, req, update_handle);
	u32 size = MLX5_GET(mcc_reg, req, component_size);
	u8 err;

	if (MLX5_GET(mcc_reg, req, component_index))
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	if (instr == EMU_MCC_LOCK) {
		if (f->state != EMU_FSM_IDLE || handle != f->handle)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		f->state = EMU_FSM_LOCKED;
		f->error = 0;
		f->last_cmd = jiffies;
		return MLX5_CMD_STAT_OK;
	}
	/* Everything else needs the locked handle. */
	if (f->state == EMU_FSM_IDLE || handle != f->handle)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	f->last_cmd = jiffies;
	switch (instr) {
	case EMU_MCC_RELEASE:
		emu_flash_drop(f);
		f->state = EMU_FSM_IDLE;
		f->shown = 0;
		f->error = 0;
		f->handle = emu_flash_token();
		return MLX5_CMD_STAT_OK;
	case EMU_MCC_CANCEL:
		emu_flash_drop(f);
		f->state = EMU_FSM_LOCKED;
		f->shown = 0;
		f->error = 0;
		return MLX5_CMD_STAT_OK;
	}
	/* While an error is set, only CANCEL and RELEASE. */
	if (f->error)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	switch (instr) {
	case EMU_MCC_UPDATE:
		if (f->state != EMU_FSM_LOCKED)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		err = emu_flash_injected(EMU_MCC_UPDATE);
		if (!err && size > EMU_FW_MAX)
			err = EMU_FSM_ERROR;
		if (!err && f->has_pending)
			err = EMU_FSM_BLOCKED_PENDING_RESET;
		if (err) {
			f->error = err;
			return MLX5_CMD_STAT_OK;
		}
		emu_flash_drop(f);
		f->store = vzalloc(max(size, 1u));
		if (!f->store)
			return MLX5_CMD_STAT_LIM_ERR;
		f->size = size;
		f->state = EMU_FSM_DOWNLOAD;
		f->shown = EMU_FSM_INITIALIZE;
		return MLX5_CMD_STAT_OK;
	case EMU_MCC_VERIFY:
		if (f->state != EMU_FSM_DOWNLOAD)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		f->shown = EMU_FSM_VERIFY;
		err = emu_flash_injected(EMU_MCC_VERIFY);
		if (!err)
			err = emu_flash_check(f, &f->staged_version);
		if (err) {
			f->error = err;	/* the state stays DOWNLOAD */
			return MLX5_CMD_STAT_OK;
		}
		f->staged = true;
		f->state = EMU_FSM_LOCKED;
		return MLX5_CMD_STAT_OK;
	case EMU_MCC_ACTIVATE:
		if (f->state != EMU_FSM_LOCKED || !f->staged)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		f->shown = EMU_FSM_ACTIVATE;
		err = emu_flash_injected(EMU_MCC_ACTIVATE);
		if (err) {
			f->error = err;
			return MLX5_CMD_STAT_OK;
		}
		f->pending = f->staged_version;
		f->has_pending = true;
		emu_flash_drop(f);
		return MLX5_CMD_STAT_OK;
	default:
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
}

/* An MCDA write: size bytes at offset, each dword as fw.c's mlx5_reg_mcda_set packs it. */
static u8 emu_mcda_write(struct emu_flash *f, const void *req, int req_size)
{
	u32 handle = MLX5_GET(mcda_reg, req, update_handle);
	u32 offset = MLX5_GET(mcda_reg, req, offset);
	u32 size = MLX5_GET(mcda_reg, req, size);
	const u8 *src = (const u8 *)req + MLX5_ST_SZ_BYTES(mcda_reg);
	int avail = req_size - MLX5_ST_SZ_BYTES(mcda_reg);
	u32 i;
	u8 err;

	if (f->state == EMU_FSM_IDLE || handle != f->handle)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	f->last_cmd = jiffies;
	if (f->state != EMU_FSM_DOWNLOAD || f->error || offset % 4 || size > EMU_MCDA_MAX ||
	    offset > f->size || size > f->size - offset)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	if (avail < (int)size)
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	err = emu_flash_injected(EMU_MCDA_ERROR_AT);
	if (err) {
		f->error = err;
		f->shown = 0;
		return MLX5_CMD_STAT_OK;
	}
	if (!READ_ONCE(flash_nowork)) {
		/* mlx5_reg_mcda_set stores htonl() of each host-order dword: undo it. A short last dword is zero padded. */
		for (i = 0; i < size; i += 4) {
			u8 w[4] = {};
			__be32 be;
			u32 host;

			memcpy(w, src + i, min_t(u32, 4, (u32)avail - i));
			memcpy(&be, w, 4);
			host = be32_to_cpu(be);
			memcpy(f->store + offset + i, &host, min_t(u32, 4, size - i));
		}
	}
	f->written = max(f->written, offset + size);
	f->shown = 0;	/* past INITIALIZE: downloading */
	atomic_inc(&emu_flash_blocks);
	return MLX5_CMD_STAT_OK;
}

static void emu_mcqi_version(void *v, u32 version)
{
	char str[24];
	int n = scnprintf(str, sizeof(str), "%u.%u.%04u", version >> 24, (version >> 16) & 0xff, version & 0xffff);

	MLX5_SET(mcqi_version, v, version, version);
	MLX5_SET(mcqi_version, v, version_string_length, n);
	memcpy(MLX5_ADDR_OF(mcqi_version, v, version_string), str, n);
}

/*
 * MCC, MCDA, MIRC, MCQS and MCQI. req is the register data in (req_size
 * bytes), data the register data out (data_size bytes, zeroed).
 */
static u8 emu_flash_reg(struct emu_flash *f, u16 reg, bool write, const void *req, int req_size,
			void *data, int data_size)
{
	int need;
	u8 status = MLX5_CMD_STAT_OK;

	switch (reg) {
	case MLX5_REG_MCC:
		need = MLX5_ST_SZ_BYTES(mcc_reg);
		break;
	case MLX5_REG_MCDA:
		need = MLX5_ST_SZ_BYTES(mcda_reg);
		break;
	case MLX5_REG_MIRC:
		need = MLX5_ST_SZ_BYTES(mirc_reg);
		break;
	case MLX5_REG_MCQS:
		need = MLX5_ST_SZ_BYTES(mcqs_reg);
		break;
	default:	/* MCQI: the header in; the header and the info type's data out */
		need = MLX5_ST_SZ_BYTES(mcqi_reg);
		break;
	}
	if (req_size < need)
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	if (reg == MLX5_REG_MCQI)
		need += MLX5_GET(mcqi_reg, req, info_type) == 0 ? MLX5_ST_SZ_BYTES(mcqi_cap) :
			MLX5_ST_SZ_BYTES(mcqi_version);
	else if (reg == MLX5_REG_MCDA)
		need = MLX5_ST_SZ_BYTES(mcda_reg);	/* the header comes back */
	if (data_size < need)
		return MLX5_CMD_STAT_BAD_OUTP_LEN_ERR;
	if (write && reg != MLX5_REG_MCC && reg != MLX5_REG_MCDA && reg != MLX5_REG_MIRC)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	if (!write && reg == MLX5_REG_MCDA)
		return MLX5_CMD_STAT_BAD_PARAM_ERR;	/* no read back (rd_en 0) */
	if (reg == MLX5_REG_MCDA && write) {
		uint us = READ_ONCE(flash_slow_us);

		if (us)
			fsleep(us);
	}
	/* The register's index fields come back as asked. */
	memcpy(data, req, reg == MLX5_REG_MCQI ? MLX5_ST_SZ_BYTES(mcqi_reg) : need);

	mutex_lock(&f->lock);
	switch (reg) {
	case MLX5_REG_MCC:
		if (write) {
			status = emu_mcc_write(f, req);
			break;
		}
		MLX5_SET(mcc_reg, data, instruction, 0);
		MLX5_SET(mcc_reg, data, component_size, f->size);
		MLX5_SET(mcc_reg, data, update_handle, f->handle);
		MLX5_SET(mcc_reg, data, control_state, f->shown ? f->shown : f->state);
		f->shown = 0;
		MLX5_SET(mcc_reg, data, error_code, f->error);
		MLX5_SET(mcc_reg, data, control_progress,
			 f->state == EMU_FSM_DOWNLOAD && f->size ? (u32)div_u64((u64)f->written * 100, f->size) : 0);
		if (f->state != EMU_FSM_IDLE) {
			MLX5_SET(mcc_reg, data, handle_owner_type, EMU_HANDLE_OWNER_CMDIF);
			MLX5_SET(mcc_reg, data, time_elapsed_since_last_cmd,
				 min_t(unsigned long, (jiffies - f->last_cmd) / HZ, 0xfff));
		}
		break;
	case MLX5_REG_MCDA:
		status = emu_mcda_write(f, req, req_size);
		break;
	case MLX5_REG_MIRC:
		if (write) {	/* reactivation: drops a pending image */
			f->mirc = 1;
			f->mirc_status = f->has_pending ? EMU_MIRC_OK : EMU_MIRC_ALREADY;
			break;
		}
		if (f->mirc == 1) {
			MLX5_SET(mirc_reg, data, status_code, EMU_MIRC_BUSY);
			f->mirc = 2;
			f->has_pending = false;
			break;
		}
		MLX5_SET(mirc_reg, data, status_code, f->mirc ? f->mirc_status : EMU_MIRC_OK);
		break;
	case MLX5_REG_MCQS:	/* one component: the boot image */
		if (MLX5_GET(mcqs_reg, data, component_index)) {
			status = MLX5_CMD_STAT_BAD_PARAM_ERR;
			break;
		}
		MLX5_SET(mcqs_reg, data, last_index_flag, 1);
		MLX5_SET(mcqs_reg, data, identifier, 0x1);	/* BOOT_IMG */
		/* 4 ACTIVE_PENDING_RESET, 1 IN_PROGRESS (a download), 2 APPLIED (verified), 0 IDLE */
		MLX5_SET(mcqs_reg, data, component_update_state,
			 f->has_pending ? 4 : f->staged ? 2 : f->state == EMU_FSM_DOWNLOAD ? 1 : 0);
		break;
	default: {	/* MCQI */
		void *v = MLX5_ADDR_OF(mcqi_reg, data, data);
		bool pending = MLX5_GET(mcqi_reg, data, read_pending_component);
		u8 type = MLX5_GET(mcqi_reg, data, info_type);

		if (MLX5_GET(mcqi_reg, data, component_index) || type > 1 || (type == 1 && pending && !f->has_pending)) {
			status = MLX5_CMD_STAT_BAD_PARAM_ERR;
			break;
		}
		MLX5_SET(mcqi_reg, data, info_size, need - MLX5_ST_SZ_BYTES(mcqi_reg));
		MLX5_SET(mcqi_reg, data, data_size, need - MLX5_ST_SZ_BYTES(mcqi_reg));
		if (type == 1) {
			emu_mcqi_version(v, pending ? f->pending : f->running);
			break;
		}
		MLX5_SET(mcqi_cap, v, supported_info_bitmask, 0x3);	/* CAPABILITIES, VERSION */
		MLX5_SET(mcqi_cap, v, component_size, EMU_FW_RUNNING_SIZE);
		MLX5_SET(mcqi_cap, v, max_component_size, EMU_FW_MAX);
		MLX5_SET(mcqi_cap, v, log_mcda_word_size, 2);
		MLX5_SET(mcqi_cap, v, mcda_max_write_size, EMU_MCDA_MAX);
		MLX5_SET(mcqi_cap, v, match_psid, 1);
		break;
	}
	}
	mutex_unlock(&f->lock);
	return status;
}

/* One emulated function (PCI function, mlx5_core_dev, firmware state). */
struct emu_mlx5 {
	struct pci_dev *pdev;
	struct mlx5_core_dev *mdev;
	struct mlx5_adev *madev;
	struct ida uids;
	u32 cap_cur[MLX5_UN_SZ_DW(hca_cap_union)];
	u32 cap_max[MLX5_UN_SZ_DW(hca_cap_union)];
	u32 eth_cur[MLX5_UN_SZ_DW(hca_cap_union)];
	u32 eth_max[MLX5_UN_SZ_DW(hca_cap_union)];
	struct emu_flash flash;
};

/* The functions, by their position in bdf; set in probe, cleared in remove (under emu_devs_lock). */
#define EMU_MAX_FUNCS	2
static struct emu_mlx5 *emus[EMU_MAX_FUNCS];
static DEFINE_MUTEX(emu_devs_lock);

/* A new uctx_cap: each function's firmware pages and mlx5_core's cached copy (what MLX5_CAP_GEN reads). */
static int emu_set_uctx_cap(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);
	struct emu_mlx5 *e;
	int i;

	if (err)
		return err;
	mutex_lock(&emu_devs_lock);
	for (i = 0; i < EMU_MAX_FUNCS; i++) {
		e = emus[i];
		if (!e)
			continue;
		MLX5_SET(cmd_hca_cap, e->cap_cur, uctx_cap, uctx_cap);
		MLX5_SET(cmd_hca_cap, e->cap_max, uctx_cap, uctx_cap);
		MLX5_SET(cmd_hca_cap, e->mdev->caps.hca[MLX5_CAP_GENERAL]->cur, uctx_cap, uctx_cap);
		MLX5_SET(cmd_hca_cap, e->mdev->caps.hca[MLX5_CAP_GENERAL]->max, uctx_cap, uctx_cap);
	}
	mutex_unlock(&emu_devs_lock);
	return 0;
}

/* flash_reset: every function's FSM idle, its store dropped, the fixture versions; the counter and knobs 0. */
static int emu_set_flash_reset(const char *val, const struct kernel_param *kp)
{
	int i;

	mutex_lock(&emu_devs_lock);
	for (i = 0; i < EMU_MAX_FUNCS; i++) {
		if (!emus[i])
			continue;
		mutex_lock(&emus[i]->flash.lock);
		emu_flash_fixture(&emus[i]->flash);
		mutex_unlock(&emus[i]->flash.lock);
	}
	mutex_unlock(&emu_devs_lock);
	atomic_set(&emu_flash_blocks, 0);
	spin_lock(&emu_fault_lock);
	flash_error = flash_error_at = 0;
	spin_unlock(&emu_fault_lock);
	WRITE_ONCE(flash_slow_us, 0);
	WRITE_ONCE(flash_nowork, 0);
	WRITE_ONCE(flash_no_mirc, 0);
	return 0;
}
static const struct kernel_param_ops emu_flash_reset_ops = { .set = emu_set_flash_reset };
module_param_cb(flash_reset, &emu_flash_reset_ops, NULL, 0200);
MODULE_PARM_DESC(flash_reset, "write: every FSM idle, the fixture versions, flash_blocks and the flash knobs 0");

/* flash_state (the first function), flash_state2 (the second): its control_state. */
static int emu_get_flash_state(char *buf, const struct kernel_param *kp)
{
	long i = (long)kp->arg;
	int n = -ENODEV;

	mutex_lock(&emu_devs_lock);
	if (emus[i])
		n = sysfs_emit(buf, "%u\n", READ_ONCE(emus[i]->flash.state));
	mutex_unlock(&emu_devs_lock);
	return n;
}
static const struct kernel_param_ops emu_flash_state_ops = { .get = emu_get_flash_state };
module_param_cb(flash_state, &emu_flash_state_ops, (void *)0L, 0444);
MODULE_PARM_DESC(flash_state, "the first function's MCC control_state");
module_param_cb(flash_state2, &emu_flash_state_ops, (void *)1L, 0444);
MODULE_PARM_DESC(flash_state2, "the second function's MCC control_state");

static int emu_get_flash_blocks(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&emu_flash_blocks));
}
static const struct kernel_param_ops emu_flash_blocks_ops = { .get = emu_get_flash_blocks };
module_param_cb(flash_blocks, &emu_flash_blocks_ops, NULL, 0444);
MODULE_PARM_DESC(flash_blocks, "MCDA writes accepted since flash_reset");

static u8 emu_access_reg(struct emu_mlx5 *e, const void *in, int in_size, void *out, int out_size)
{
	u16 reg = MLX5_GET(access_register_in, in, register_id);
	void *data = MLX5_ADDR_OF(access_register_out, out, register_data);
	size_t need;

	if (in_size < MLX5_ST_SZ_BYTES(access_register_in) || out_size < MLX5_ST_SZ_BYTES(access_register_out))
		return MLX5_CMD_STAT_BAD_INP_LEN_ERR;
	if (reg == MLX5_REG_MNVDA || reg == EMU_REG_MNVQC || reg == EMU_REG_MNVIA)
		return emu_nv_reg(reg, MLX5_GET(emu_mbox_in, in, op_mod) == 0, in, in_size, data,
				  out_size - MLX5_ST_SZ_BYTES(access_register_out));
	if (reg == MLX5_REG_MCC || reg == MLX5_REG_MCDA || reg == MLX5_REG_MIRC || reg == MLX5_REG_MCQS ||
	    reg == MLX5_REG_MCQI)
		return emu_flash_reg(&e->flash, reg, MLX5_GET(emu_mbox_in, in, op_mod) == 0,
				     MLX5_ADDR_OF(access_register_in, in, register_data),
				     in_size - MLX5_ST_SZ_BYTES(access_register_in), data,
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
	case MLX5_REG_MCAM:
		/*
		 * The access register groups mlx5_core reads (fw.c: FIRST_128,
		 * 0x9100_0x917F, 0x9180_0x91FF; 1 is answered empty): group 0
		 * the registers this firmware answers, group 2 MIRC.
		 */
		if (MLX5_GET(mcam_reg, data, feature_group) || MLX5_GET(mcam_reg, data, access_reg_group) >= MLX5_MCAM_REGS_NUM)
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		switch (MLX5_GET(mcam_reg, data, access_reg_group)) {
		case MLX5_MCAM_REGS_FIRST_128:
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcqi, 1);
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcqs, 1);
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcc, 1);
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mcda, 1);
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs.mtmp, 1);
			break;
		case MLX5_MCAM_REGS_0x9100_0x917F:
			MLX5_SET(mcam_reg, data, mng_access_reg_cap_mask.access_regs2.mirc, !READ_ONCE(flash_no_mirc));
			break;
		}
		MLX5_SET(mcam_reg, data, mng_feature_cap_mask.enhanced_features.mtpps_fs, 1);
		break;
	}
	return MLX5_CMD_STAT_OK;
}

/* The firmware: in is a private copy; out is zeroed, out_size >= 16. Returns the status. */
static u8 emu_exec(struct emu_mlx5 *e, const void *in, int in_size, void *out, int out_size)
{
	u16 opcode = MLX5_GET(emu_mbox_in, in, opcode);
	u16 op_mod = MLX5_GET(emu_mbox_in, in, op_mod);
	u16 uid = MLX5_GET(emu_mbox_in, in, uid);
	int id;

	/* A uid the firmware never handed out. */
	if (uid && opcode != MLX5_CMD_OP_DESTROY_UCTX && !ida_exists(&e->uids, uid))
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
		id = ida_alloc_range(&e->uids, 1, 0xfffe, GFP_KERNEL);
		if (id < 0)
			return MLX5_CMD_STAT_LIM_ERR;
		MLX5_SET(create_uctx_out, out, uid, id);
		return MLX5_CMD_STAT_OK;
	}
	case MLX5_CMD_OP_DESTROY_UCTX:
		/*
		 * The FSM stays as it is, even when this uid locked it: the MCC
		 * update_handle is a flow token, not an object of the uid
		 * (mcc_reg has no uid field, and drivers/fwctl/mlx5/main.c's
		 * close sends DESTROY_UCTX only), so a tool that dies holding
		 * the lock leaves it locked, time_elapsed_since_last_cmd
		 * growing, until anyone presenting the handle cancels or
		 * releases it.
		 */
		uid = MLX5_GET(destroy_uctx_in, in, uid);
		if (!uid || !ida_exists(&e->uids, uid))
			return MLX5_CMD_STAT_BAD_PARAM_ERR;
		ida_free(&e->uids, uid);
		return MLX5_CMD_STAT_OK;
	case MLX5_CMD_OP_QUERY_HCA_CAP:
	{
		bool cur = (op_mod & 1) == HCA_CAP_OPMOD_GET_CUR;
		const u32 *page;

		switch (op_mod >> 1) {
		case MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE:
			page = cur ? e->cap_cur : e->cap_max;
			break;
		case MLX5_SET_HCA_CAP_OP_MOD_ETHERNET_OFFLOADS:
			page = cur ? e->eth_cur : e->eth_max;
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
		return emu_access_reg(e, in, in_size, out, out_size);
	case MLX5_CMD_OP_NOP:
		return MLX5_CMD_STAT_OK;
	default:
		return MLX5_CMD_STAT_BAD_OP_ERR;
	}
}

/* The mailbox round trip; -EREMOTEIO when the firmware answered a non-zero status. */
int mlx5_cmd_do(struct mlx5_core_dev *dev, void *in, int in_size, void *out, int out_size)
{
	struct emu_mlx5 *e = NULL;
	u16 opcode;
	void *copy;
	int err, i;
	u8 status;

	/* The function dev is; remove() clears its slot only after mlx5_fwctl let go of it. */
	for (i = 0; i < EMU_MAX_FUNCS && !e; i++)
		if (READ_ONCE(emus[i]) && READ_ONCE(emus[i])->mdev == dev)
			e = READ_ONCE(emus[i]);
	if (!e)
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
	status = emu_exec(e, copy, in_size, out, out_size);
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
	int slot = emu_bdf_index(pdev);
	struct mlx5_hca_cap *gen;
	struct mlx5_adev *madev;
	struct emu_mlx5 *e;
	int err;

	if (slot < 0 || slot >= EMU_MAX_FUNCS || READ_ONCE(emus[slot]))
		return -ENODEV;
	err = emu_pci_setup(pdev);
	if (err)
		return err;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	ida_init(&e->uids);
	e->pdev = pdev;
	mutex_init(&e->flash.lock);
	emu_flash_fixture(&e->flash);
	emu_fill_caps(e->cap_cur, false);
	emu_fill_caps(e->cap_max, true);
	emu_fill_eth_caps(e->eth_cur, false);
	emu_fill_eth_caps(e->eth_max, true);
	emu_nv_reset();

	/* What mlx5_core leaves behind after its init: the device and its caps. */
	e->mdev = kvzalloc(sizeof(*e->mdev), GFP_KERNEL);
	gen = kzalloc(sizeof(*gen), GFP_KERNEL);
	if (!e->mdev || !gen) {
		err = -ENOMEM;
		goto err_free;
	}
	memcpy(gen->cur, e->cap_cur, sizeof(gen->cur));
	memcpy(gen->max, e->cap_max, sizeof(gen->max));
	e->mdev->caps.hca[MLX5_CAP_GENERAL] = gen;
	e->mdev->pdev = pdev;
	e->mdev->device = &pdev->dev;
	mutex_init(&e->mdev->pci_status_mutex);

	madev = kzalloc(sizeof(*madev), GFP_KERNEL);
	if (!madev) {
		err = -ENOMEM;
		goto err_free;
	}
	madev->mdev = e->mdev;
	madev->adev.name = "fwctl";
	madev->adev.id = pci_dev_id(pdev);
	madev->adev.dev.parent = &pdev->dev;
	madev->adev.dev.release = emu_adev_release;
	err = auxiliary_device_init(&madev->adev);
	if (err) {
		kfree(madev);
		goto err_free;
	}
	e->madev = madev;
	/* Commands may come as soon as the device is added (mlx5_fwctl binds it): the slot first. */
	mutex_lock(&emu_devs_lock);
	WRITE_ONCE(emus[slot], e);
	mutex_unlock(&emu_devs_lock);
	/* mlx5_core's name: the fwctl driver binds "mlx5_core.fwctl". */
	err = __auxiliary_device_add(&madev->adev, MLX5_ADEV_NAME);
	if (err) {
		mutex_lock(&emu_devs_lock);
		WRITE_ONCE(emus[slot], NULL);
		mutex_unlock(&emu_devs_lock);
		auxiliary_device_uninit(&madev->adev);
		goto err_free;
	}
	pci_set_drvdata(pdev, e);
	dev_info(&pdev->dev, "emulating mlx5 firmware, function %d (uctx_cap 0x%x)\n", slot, uctx_cap);
	return 0;

err_free:
	kfree(gen);
	kvfree(e->mdev);
	kfree(e);
	return err;
}

static void emu_remove(struct pci_dev *pdev)
{
	struct emu_mlx5 *e = pci_get_drvdata(pdev);
	int i;

	/* Unbinds mlx5_fwctl: fwctl_unregister() waits out the RPCs in flight, so none follows. */
	auxiliary_device_delete(&e->madev->adev);
	auxiliary_device_uninit(&e->madev->adev);
	mutex_lock(&emu_devs_lock);
	for (i = 0; i < EMU_MAX_FUNCS; i++)
		if (emus[i] == e)
			WRITE_ONCE(emus[i], NULL);
	mutex_unlock(&emu_devs_lock);
	kfree(e->mdev->caps.hca[MLX5_CAP_GENERAL]);
	kvfree(e->mdev);
	ida_destroy(&e->uids);
	vfree(e->flash.store);
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
