// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_mock's pds mode: #included by fwctl_mock.c.
 *
 * Mirrors drivers/fwctl/pds/main.c (Linux 7.3): the same device_data struct,
 * the same validation in the same order with the same errnos, and the nested
 * user pointers the driver reads and writes; only the firmware is canned.
 * It stays for the tests that need those pointers under a mock's control
 * (hot-unplug mid-call, GC of attached buffers). The typed layers are tested
 * against the kernel's own mlx5, bnxt and pds drivers (test/kernel/emu); the
 * mlx5 and bnxt modes and their hand-copied scope tables are gone.
 * The wire protocol is in PROTOCOL.md.
 */

/* ---- device_data ---- */

static void *mock_type_info(struct fwctl_uctx *uctx, size_t *length)
{
	struct mock_uctx *mu = to_mock_uctx(uctx);
	struct mock_dev *md = to_mock_dev(uctx);
	struct fwctl_info_pds *info;

	if (md->mode != MOCK_MODE_PDS)
		return ERR_PTR(-EINVAL);
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->uctx_caps = mu->uctx_caps;
	/*
	 * Like pdsfc_info(): *length is never set, so the core reports
	 * length 0 (its driver_info_len starts at 0). Mirrored on purpose.
	 */
	return info;
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

static void *mock_type_rpc(struct fwctl_uctx *uctx, enum fwctl_rpc_scope scope,
			   void *rpc_in, size_t in_len, size_t *out_len)
{
	if (to_mock_dev(uctx)->mode == MOCK_MODE_PDS)
		return mock_pds_rpc(scope, rpc_in, in_len, out_len);
	return ERR_PTR(-EINVAL);
}
