// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_mock per-type modes (mlx5, pds, bnxt): #included by fwctl_mock.c.
 *
 * Each mode mirrors its in-tree driver (drivers/fwctl/<type>/main.c, Linux
 * 7.3): the same device_data struct, the same validation in the same order
 * with the same errnos, the same wire format and the same quirks (mlx5
 * overwrites the uid; pds answers device_data of length 0 and reads/writes
 * further user buffers; bnxt reports a failed send in error_code). Only the
 * firmware is canned. The wire protocol is in PROTOCOL.md.
 */

/* ---- lookup in the generated tables (fwctl_mock_tables.h) ---- */

static const struct mock_scope_entry *
mock_find_entry(const struct mock_scope_entry *t, size_t n, u16 op)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].op == op)
			return &t[i];
	return NULL;
}

/* ---- device_data ---- */

static void *mock_type_info(struct fwctl_uctx *uctx, size_t *length)
{
	struct mock_uctx *mu = to_mock_uctx(uctx);
	struct mock_dev *md = to_mock_dev(uctx);

	switch (md->mode) {
	case MOCK_MODE_MLX5: {
		struct fwctl_info_mlx5 *info = kzalloc(sizeof(*info), GFP_KERNEL);

		if (!info)
			return ERR_PTR(-ENOMEM);
		info->uid = mu->id;
		info->uctx_caps = mu->uctx_caps;
		*length = sizeof(*info);
		return info;
	}
	case MOCK_MODE_PDS: {
		struct fwctl_info_pds *info = kzalloc(sizeof(*info), GFP_KERNEL);

		if (!info)
			return ERR_PTR(-ENOMEM);
		info->uctx_caps = mu->uctx_caps;
		/*
		 * Like pdsfc_info(): *length is never set, so the core reports
		 * length 0 (its driver_info_len starts at 0). Mirrored on purpose.
		 */
		return info;
	}
	case MOCK_MODE_BNXT: {
		struct fwctl_info_bnxt *info = kzalloc(sizeof(*info), GFP_KERNEL);

		if (!info)
			return ERR_PTR(-ENOMEM);
		info->uctx_caps = mu->uctx_caps;
		*length = sizeof(*info);
		return info;
	}
	default:
		return ERR_PTR(-EINVAL);
	}
}

/* ---- mlx5: PRM mailboxes, big-endian ---- */

#define MOCK_MLX5_HDR_LEN		16
#define MOCK_MLX5_OP_QUERY_HCA_CAP	0x100
#define MOCK_MLX5_OP_QUERY_ADAPTER	0x101
#define MOCK_MLX5_OP_NOP		0x80d
#define MOCK_MLX5_CAP_LEN		0x1000	/* union mlx5_ifc_hca_cap_union_bits */
#define MOCK_MLX5_ADAPTER_LEN		0x100	/* query_adapter_param_block */
#define MOCK_MLX5_STAT_BAD_OP		0x02
#define MOCK_MLX5_STAT_BAD_OUTP_LEN	0x51
#define MOCK_MLX5_SYNDROME(op)		(0x4d4f0000u | (op))	/* "MO" | opcode */

/* mlx5ctl_validate_rpc() */
static bool mock_mlx5_validate(const u8 *in, enum fwctl_rpc_scope scope)
{
	u16 opcode = get_unaligned_be16(in);
	u16 op_mod = get_unaligned_be16(in + 6);
	const struct mock_scope_entry *e =
		mock_find_entry(mock_mlx5_table, ARRAY_SIZE(mock_mlx5_table), opcode);

	if (!e)
		return false;
	if (e->by_op_mod)	/* ACCESS_REG, ACCESS_REGISTER_USER */
		return op_mod == 0 ? true : scope >= FWCTL_RPC_DEBUG_READ_ONLY;
	return scope >= e->scope;
}

static void mock_mlx5_status(u8 *out, u8 status, u16 opcode)
{
	out[0] = status;
	put_unaligned_be32(status ? MOCK_MLX5_SYNDROME(opcode) : 0, out + 4);
}

/* The canned firmware. out is zeroed and out_len >= 16. */
static void mock_mlx5_exec(const u8 *in, size_t in_len, u8 *out, size_t out_len)
{
	u16 opcode = get_unaligned_be16(in);
	u16 op_mod = get_unaligned_be16(in + 6);
	u8 *p;
	size_t i;

	/* Test hook: byte 4 (reserved_at_20) non-zero = fail with that status. */
	if (in[4]) {
		mock_mlx5_status(out, in[4], opcode);
		return;
	}
	switch (opcode) {
	case MOCK_MLX5_OP_QUERY_HCA_CAP:
		if (out_len < MOCK_MLX5_HDR_LEN + MOCK_MLX5_CAP_LEN) {
			mock_mlx5_status(out, MOCK_MLX5_STAT_BAD_OUTP_LEN, opcode);
			return;
		}
		/* Synthetic capability: op_mod and the enforced uid, then a pattern. */
		p = out + MOCK_MLX5_HDR_LEN;
		put_unaligned_be32(op_mod, p);
		put_unaligned_be32(get_unaligned_be16(in + 2), p + 4);
		for (i = 8; i < MOCK_MLX5_CAP_LEN; i++)
			p[i] = (i * 7 + 3) & 0xff;
		return;
	case MOCK_MLX5_OP_QUERY_ADAPTER:
		if (out_len < MOCK_MLX5_HDR_LEN + MOCK_MLX5_ADAPTER_LEN) {
			mock_mlx5_status(out, MOCK_MLX5_STAT_BAD_OUTP_LEN, opcode);
			return;
		}
		p = out + MOCK_MLX5_HDR_LEN;
		put_unaligned_be32(0x0002c9, p + 0x18);		/* ieee_vendor_id */
		put_unaligned_be16(0x15b3, p + 0x1e);		/* vsd_vendor_id */
		memcpy(p + 0x20, "fwctl-mock mlx5 adapter", 23);	/* vsd */
		memcpy(p + 0xf0, "MOCK0000000001", 14);		/* psid */
		return;
	case MOCK_MLX5_OP_NOP:
		return;
	default:
		/* Allowed by the driver, not emulated by this firmware. */
		mock_mlx5_status(out, MOCK_MLX5_STAT_BAD_OP, opcode);
	}
}

/* mlx5ctl_fw_rpc() */
static void *mock_mlx5_rpc(struct mock_uctx *mu, enum fwctl_rpc_scope scope,
			   void *rpc_in, size_t in_len, size_t *out_len)
{
	u8 *out;

	if (in_len < MOCK_MLX5_HDR_LEN || *out_len < MOCK_MLX5_HDR_LEN)
		return ERR_PTR(-EMSGSIZE);
	if (!mock_mlx5_validate(rpc_in, scope))
		return ERR_PTR(-EBADMSG);
	out = kvzalloc(*out_len, GFP_KERNEL);
	if (!out)
		return ERR_PTR(-ENOMEM);
	/* Enforce the user context for the command */
	put_unaligned_be16(mu->id, (u8 *)rpc_in + 2);
	mock_mlx5_exec(rpc_in, in_len, out, *out_len);
	/* A firmware status is -EREMOTEIO in the driver: out is still returned. */
	return out;	/* *out_len unchanged: the caller's length */
}

/* ---- pds: fwctl_rpc_pds with pointers to further user buffers ---- */

#define MOCK_PDS_MAX_REQ_SZ	4096	/* pds_fwctl_ident.max_req_sz */
#define MOCK_PDS_MAX_RESP_SZ	4096
/* PDSFC_FW_CMD_ATTR_* (include/linux/pds/pds_adminq.h) */
#define MOCK_PDS_ATTR_READ		0x00
#define MOCK_PDS_ATTR_DEBUG_READ	0x02
#define MOCK_PDS_ATTR_WRITE		0x04
#define MOCK_PDS_ATTR_DEBUG_WRITE	0x08
#define MOCK_PDS_ATTR_SYNC		0x10
#define MOCK_PDS_RC_EINVAL	14	/* enum pds_core_status_code */
#define MOCK_PDS_RC_ENOSPC	15
#define MOCK_PDS_RC_ENOENT	7

#define MOCK_PDS_OP_CMD(op)	((op) & 0xffff)
#define MOCK_PDS_OP_VER(op)	(((op) >> 16) & 0xff)
/* PDS_FWCTL_RPC_OPCODE_CMP */
#define MOCK_PDS_OP_CMP(req, ent) \
	(MOCK_PDS_OP_CMD(req) == MOCK_PDS_OP_CMD(ent) && MOCK_PDS_OP_VER(req) <= MOCK_PDS_OP_VER(ent))

struct mock_pds_op {
	u32 id;
	u8 attr;
};

/* Endpoint 0: the mock firmware's query service. Endpoint 1: test ops. */
static const struct mock_pds_op mock_pds_ep0_ops[] = {
	{ 0x0001, MOCK_PDS_ATTR_READ },		/* QUERY */
};
static const struct mock_pds_op mock_pds_ep1_ops[] = {
	{ 0x00010001, MOCK_PDS_ATTR_READ },	/* ECHO, version 1 */
	{ 0x0002, MOCK_PDS_ATTR_DEBUG_READ },	/* DUMP */
	{ 0x0003, MOCK_PDS_ATTR_DEBUG_WRITE },	/* POKE */
	{ 0x0004, 0x20 },			/* RAW: unknown attr -> DEBUG_WRITE_FULL */
	{ 0x0005, MOCK_PDS_ATTR_WRITE },	/* FAIL */
};
static const struct {
	u32 id;
	const struct mock_pds_op *ops;
	u32 nops;
} mock_pds_eps[] = {
	{ 0, mock_pds_ep0_ops, ARRAY_SIZE(mock_pds_ep0_ops) },
	{ 1, mock_pds_ep1_ops, ARRAY_SIZE(mock_pds_ep1_ops) },
};

/* pdsfc_get_operations(): firmware attribute -> fwctl scope */
static u8 mock_pds_attr_scope(u8 attr)
{
	switch (attr) {
	case MOCK_PDS_ATTR_READ:
	case MOCK_PDS_ATTR_WRITE:
	case MOCK_PDS_ATTR_SYNC:
		return FWCTL_RPC_CONFIGURATION;
	case MOCK_PDS_ATTR_DEBUG_READ:
		return FWCTL_RPC_DEBUG_READ_ONLY;
	case MOCK_PDS_ATTR_DEBUG_WRITE:
		return FWCTL_RPC_DEBUG_WRITE;
	default:
		return FWCTL_RPC_DEBUG_WRITE_FULL;
	}
}

/* pdsfc_validate_rpc() */
static int mock_pds_validate(struct fwctl_rpc_pds *rpc, enum fwctl_rpc_scope scope)
{
	u32 i, e = ARRAY_SIZE(mock_pds_eps);

	if (rpc->in.len > MOCK_PDS_MAX_REQ_SZ)
		return -EINVAL;
	if (rpc->out.len > MOCK_PDS_MAX_RESP_SZ)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(mock_pds_eps); i++)
		if (mock_pds_eps[i].id == rpc->in.ep)
			e = i;
	if (e == ARRAY_SIZE(mock_pds_eps))
		return -EINVAL;
	for (i = 0; i < mock_pds_eps[e].nops; i++) {
		const struct mock_pds_op *op = &mock_pds_eps[e].ops[i];

		if (MOCK_PDS_OP_CMP(rpc->in.op, op->id)) {
			if (scope < mock_pds_attr_scope(op->attr))
				return -EPERM;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * QUERY (ep 0, op 1): payload { u8 entity; u8 version; u8 rsvd[2]; __le32 ep; }
 * answers struct pds_fwctl_query_data (entity 0: endpoint ids; entity 1:
 * the operations of `ep`, with the firmware's raw attribute in `scope`).
 */
static u32 mock_pds_query(const u8 *in, u32 in_len, u8 *out, u32 out_len)
{
	u32 i, n, need, e = ARRAY_SIZE(mock_pds_eps), ep;
	u8 entity;

	if (in_len < 8)
		return MOCK_PDS_RC_EINVAL;
	entity = in[0];
	if (entity == 0) {
		n = ARRAY_SIZE(mock_pds_eps);
		need = 8 + 4 * n;
		if (out_len < need)
			return MOCK_PDS_RC_ENOSPC;
		for (i = 0; i < n; i++)
			put_unaligned_le32(mock_pds_eps[i].id, out + 8 + 4 * i);
	} else if (entity == 1) {
		ep = get_unaligned_le32(in + 4);
		for (i = 0; i < ARRAY_SIZE(mock_pds_eps); i++)
			if (mock_pds_eps[i].id == ep)
				e = i;
		if (e == ARRAY_SIZE(mock_pds_eps))
			return MOCK_PDS_RC_ENOENT;
		n = mock_pds_eps[e].nops;
		need = 8 + 8 * n;
		if (out_len < need)
			return MOCK_PDS_RC_ENOSPC;
		for (i = 0; i < n; i++) {
			put_unaligned_le32(mock_pds_eps[e].ops[i].id, out + 8 + 8 * i);
			out[8 + 8 * i + 4] = mock_pds_eps[e].ops[i].attr;
		}
	} else {
		return MOCK_PDS_RC_EINVAL;
	}
	out[0] = 0;			/* version */
	put_unaligned_le32(n, out + 4);	/* num_entries */
	return 0;
}

/* The canned firmware: returns comp.fwctl_rpc.err. */
static u32 mock_pds_exec(u32 ep, u32 op, const u8 *in, u32 in_len, u8 *out, u32 out_len)
{
	u32 i;

	if (ep == 0)
		return mock_pds_query(in, in_len, out, out_len);
	switch (MOCK_PDS_OP_CMD(op)) {
	case 1:		/* ECHO */
		memcpy(out, in, min(in_len, out_len));
		return 0;
	case 2:		/* DUMP */
		for (i = 0; i < out_len; i++)
			out[i] = (i * 13 + 1) & 0xff;
		return 0;
	case 5:		/* FAIL: retval from the payload's first __le32 */
		return in_len >= 4 ? get_unaligned_le32(in) : MOCK_PDS_RC_EINVAL;
	default:	/* POKE, RAW: accepted, nothing to answer */
		return 0;
	}
}

/* pdsfc_fw_rpc() */
static void *mock_pds_rpc(enum fwctl_rpc_scope scope, void *in, size_t in_len,
			  size_t *out_len)
{
	struct fwctl_rpc_pds *rpc = in;
	void *in_payload = NULL;
	u8 *out_payload = NULL;
	u32 retval;
	int err;

	if (in_len < sizeof(*rpc))
		return ERR_PTR(-EINVAL);
	err = mock_pds_validate(rpc, scope);
	if (err)
		return ERR_PTR(err);

	if (rpc->in.len > 0) {
		in_payload = memdup_user(u64_to_user_ptr(rpc->in.payload), rpc->in.len);
		if (IS_ERR(in_payload))
			return in_payload;
	}
	if (rpc->out.len > 0) {
		out_payload = kzalloc(rpc->out.len, GFP_KERNEL);
		if (!out_payload) {
			kfree(in_payload);
			return ERR_PTR(-ENOMEM);
		}
	}

	retval = mock_pds_exec(rpc->in.ep, rpc->in.op, in_payload, rpc->in.len,
			       out_payload, rpc->out.len);

	if (copy_to_user(u64_to_user_ptr(rpc->out.payload), out_payload, rpc->out.len)) {
		kfree(out_payload);
		kfree(in_payload);
		return ERR_PTR(-EFAULT);
	}
	kfree(out_payload);
	kfree(in_payload);

	rpc->out.retval = retval;
	*out_len = in_len;
	return in;
}

/* ---- bnxt: HWRM messages, little-endian ---- */

#define MOCK_HWRM_INPUT_LEN	16	/* sizeof(struct input) */
#define MOCK_HWRM_OUTPUT_LEN	8	/* sizeof(struct output) */
#define MOCK_HWRM_MAX_REQ_LEN	128	/* HWRM_MAX_REQ_LEN */
#define MOCK_HWRM_VER_GET	0x0
#define MOCK_HWRM_VER_GET_OUT	176	/* sizeof(struct hwrm_ver_get_output) */
#define MOCK_HWRM_ERR_CMD_NOT_SUPPORTED	0xffff
#define MOCK_HWRM_SEND_FAIL_TARGET	0xfffe	/* test hook: target_id */

static void mock_bnxt_ver_get(const u8 *in, u8 *o)
{
	put_unaligned_le16(0, o);				/* error_code */
	put_unaligned_le16(MOCK_HWRM_VER_GET, o + 2);		/* req_type */
	put_unaligned_le16(get_unaligned_le16(in + 4), o + 4);	/* seq_id */
	put_unaligned_le16(MOCK_HWRM_VER_GET_OUT, o + 6);	/* resp_len */
	o[8] = 1; o[9] = 10; o[10] = 3;				/* hwrm_intf_{maj,min,upd}_8b */
	o[12] = 230; o[13] = 0; o[14] = 150;			/* hwrm_fw_{maj,min,bld}_8b */
	o[16] = 230; o[17] = 0; o[18] = 150;			/* mgmt_fw */
	o[20] = 230; o[21] = 0; o[22] = 150;			/* netctrl_fw */
	put_unaligned_le32(0x1 | 0x4, o + 24);			/* dev_caps_cfg */
	o[28] = 230; o[29] = 0; o[30] = 150;			/* roce_fw */
	memcpy(o + 32, "mock-hwrm", 9);				/* hwrm_fw_name */
	memcpy(o + 48, "mock-mgmt", 9);
	memcpy(o + 64, "mock-netctrl", 12);
	memcpy(o + 80, "230.0.150.0", 11);			/* active_pkg_name */
	memcpy(o + 96, "mock-roce", 9);
	put_unaligned_le16(0x1750, o + 112);			/* chip_num: BCM57508 */
	o[114] = 1;						/* chip_rev */
	put_unaligned_le16(MOCK_HWRM_MAX_REQ_LEN, o + 118);	/* max_req_win_len */
	put_unaligned_le16(4096, o + 120);			/* max_resp_len */
	put_unaligned_le16(500, o + 122);			/* def_req_timeout */
	o[127] = 1;						/* always_1 */
	put_unaligned_le16(1, o + 128);				/* hwrm_intf_major */
	put_unaligned_le16(10, o + 130);
	put_unaligned_le16(3, o + 132);
	put_unaligned_le16(230, o + 136);			/* hwrm_fw_major */
	put_unaligned_le16(150, o + 140);			/* hwrm_fw_build */
	put_unaligned_le16(MOCK_HWRM_MAX_REQ_LEN, o + 168);	/* max_ext_req_len */
	put_unaligned_le16(60, o + 170);			/* max_req_timeout */
	o[175] = 1;						/* valid */
}

/* bnxtctl_fw_rpc() */
static void *mock_bnxt_rpc(enum fwctl_rpc_scope scope, void *in, size_t in_len,
			   size_t *out_len)
{
	const struct mock_scope_entry *e;
	u8 ver[MOCK_HWRM_VER_GET_OUT] = {};
	u16 req_type;
	u8 *resp;
	int rc = 0;

	if (in_len < MOCK_HWRM_INPUT_LEN || in_len > MOCK_HWRM_MAX_REQ_LEN)
		return ERR_PTR(-EINVAL);
	if (*out_len < MOCK_HWRM_OUTPUT_LEN)
		return ERR_PTR(-EINVAL);
	req_type = get_unaligned_le16(in);
	e = mock_find_entry(mock_bnxt_table, ARRAY_SIZE(mock_bnxt_table), req_type);
	/* A DMA command must be exactly its hwrm_*_input size. */
	if (e && e->req_size && in_len != e->req_size)
		return ERR_PTR(-EINVAL);

	resp = kvzalloc(*out_len, GFP_KERNEL);
	if (!resp)
		return ERR_PTR(-ENOMEM);
	if (!e || scope < e->scope) {
		kvfree(resp);
		return ERR_PTR(-EPERM);
	}

	/* bnxt_send_msg(), canned */
	if (get_unaligned_le16((u8 *)in + 6) == MOCK_HWRM_SEND_FAIL_TARGET) {
		rc = -EIO;	/* failed before the firmware saw it */
	} else if (req_type == MOCK_HWRM_VER_GET) {
		mock_bnxt_ver_get(in, ver);
		memcpy(resp, ver, min_t(size_t, *out_len, sizeof(ver)));
	} else {
		/* allowed, not emulated (DMA commands included: no user copy) */
		put_unaligned_le16(MOCK_HWRM_ERR_CMD_NOT_SUPPORTED, resp);
		put_unaligned_le16(req_type, resp + 2);
		put_unaligned_le16(get_unaligned_le16((u8 *)in + 4), resp + 4);
		put_unaligned_le16(MOCK_HWRM_OUTPUT_LEN, resp + 6);
		rc = -EOPNOTSUPP;
	}
	if (rc && !get_unaligned_le16(resp))
		put_unaligned_le16((u16)rc, resp);	/* the driver's cpu_to_le16(rc) */
	return resp;	/* *out_len unchanged */
}

static void *mock_type_rpc(struct fwctl_uctx *uctx, enum fwctl_rpc_scope scope,
			   void *rpc_in, size_t in_len, size_t *out_len)
{
	struct mock_uctx *mu = to_mock_uctx(uctx);

	switch (to_mock_dev(uctx)->mode) {
	case MOCK_MODE_MLX5:
		return mock_mlx5_rpc(mu, scope, rpc_in, in_len, out_len);
	case MOCK_MODE_PDS:
		return mock_pds_rpc(scope, rpc_in, in_len, out_len);
	case MOCK_MODE_BNXT:
		return mock_bnxt_rpc(scope, rpc_in, in_len, out_len);
	default:
		return ERR_PTR(-EINVAL);
	}
}
