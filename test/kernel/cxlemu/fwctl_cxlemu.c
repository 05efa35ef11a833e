// SPDX-License-Identifier: GPL-2.0
/*
 * fwctl_cxlemu: an emulated CXL memory device whose mailbox is this file,
 * registered through the CXL core's own interfaces (as tools/testing/cxl's
 * mem.c does), so the kernel's drivers/cxl/core/features.c and its fwctl
 * device run unmodified over it.
 *
 * The device: one platform device "fwctl_cxlemu", a memdev (cxl_memdev_state
 * + devm_cxl_add_classdev) with a mailbox of PAYLOAD bytes and the feature
 * commands enabled through a real Command Effects Log (Get Supported Logs,
 * Get Log). Its features (Get Supported Features 0500h, Get Feature 0501h,
 * Set Feature 0502h, CXL r3.2 8.2.9.6):
 *
 *   the eight the kernel knows (include/cxl/features.h), with readable data
 *     laid out as drivers/cxl/core/edac.c reads it and writable data as it
 *     writes it (patrol scrub, DDR5 ECS with two media FRUs, soft and hard
 *     PPR, cacheline/row/bank/rank sparing);
 *   VENDOR_IMMEDIATE  8 bytes, immediate config change (fwctl Set needs
 *                     DebugWriteFull and CAP_SYS_RAWIO);
 *   VENDOR_RESET      4 bytes, change after cold reset (DebugWrite);
 *   VENDOR_LARGE      LARGE_SIZE bytes, more than a mailbox payload: the
 *                     kernel reads it in payload-sized Get Feature slices
 *                     and writes it with initiate/continue/finish transfers;
 *   VENDOR_RO         FILLERS read-only features, so that the entries are
 *                     more than one Get Supported Features answer holds.
 *
 * Mailbox errors on demand: writing a CXL return code to the module
 * parameter fail_rc (/sys/module/fwctl_cxlemu/parameters/fail_rc) makes the
 * next Get Feature or Set Feature answer it (then it resets to 0).
 *
 * Every vendor feature supports the current, default and saved selections;
 * Set Feature updates current and saved, at any offset (the data lands over
 * the current value); a Set with a wrong version answers FEATUREVERSION,
 * past set_feat_size INPUT, a continue/finish that does not follow on from
 * the previous transfer FEATURETRANSFEROOO, a full transfer during one
 * FEATURETRANSFERIP. The kernel-known features take only their whole
 * writable attributes (as edac.c writes them).
 */

#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <cxl/features.h>
#include <cxl/mailbox.h>
#include <cxlmem.h>

#define PAYLOAD		512	/* mailbox payload: (512 - 8) / 48 = 10 entries per Get Supported answer */
#define LARGE_SIZE	2000	/* > PAYLOAD: chunked Set, sliced Get */
#define FILLERS		6
#define ECS_FRUS	2

static ushort fail_rc;
module_param(fail_rc, ushort, 0644);
MODULE_PARM_DESC(fail_rc, "CXL mailbox return code the next Get/Set Feature answers (0: none)");

/* fwctl-node's vendor UUIDs: 7c1d0000-f3c7-4e2b-9a61-0000000000NN */
#define VENDOR_UUID(n) UUID_INIT(0x7c1d0000, 0xf3c7, 0x4e2b, 0x9a, 0x61, 0, 0, 0, 0, 0, (n))

enum feat_kind {
	K_SCRUB, K_ECS, K_SPPR, K_HPPR, K_SPARING, K_VENDOR,
};

struct emu_feat {
	uuid_t uuid;
	enum feat_kind kind;
	u16 get_size, set_size;
	u32 flags;
	u8 get_ver, set_ver;
	u16 effects;
	u8 *cur, *dflt, *saved;	/* get_size bytes each */
	u8 *staging;		/* set_size bytes: a transfer in progress */
	bool in_transfer;
	u16 xfer_next;		/* the offset the next continue/finish must start at */
};

struct emu {
	struct cxl_memdev_state *mds;
	struct emu_feat *feats;
	int nfeats;
	struct mutex lock;	/* feature state */
};

/* ---- the Command Effects Log: the feature commands (and the log commands) ---- */

static const struct cxl_cel_entry emu_cel[] = {
	{ .opcode = cpu_to_le16(CXL_MBOX_OP_GET_SUPPORTED_LOGS) },
	{ .opcode = cpu_to_le16(CXL_MBOX_OP_GET_LOG) },
	{ .opcode = cpu_to_le16(CXL_MBOX_OP_GET_SUPPORTED_FEATURES) },
	{ .opcode = cpu_to_le16(CXL_MBOX_OP_GET_FEATURE) },
	{ .opcode = cpu_to_le16(CXL_MBOX_OP_SET_FEATURE),
	  .effect = cpu_to_le16(CXL_CMD_CONFIG_CHANGE_IMMEDIATE | CXL_CMD_EFFECTS_VALID) },
};

static int emu_gsl(struct cxl_mbox_cmd *cmd)
{
	struct {
		struct cxl_mbox_get_supported_logs gsl;
		struct cxl_gsl_entry entry;
	} __packed out = {
		.gsl = { .entries = cpu_to_le16(1) },
		.entry = { .uuid = DEFINE_CXL_CEL_UUID, .size = cpu_to_le32(sizeof(emu_cel)) },
	};

	if (cmd->size_out < sizeof(out)) {
		cmd->return_code = CXL_MBOX_CMD_RC_PAYLOADLEN;
		return 0;
	}
	memcpy(cmd->payload_out, &out, sizeof(out));
	cmd->size_out = sizeof(out);
	return 0;
}

static int emu_get_log(struct cxl_mbox_cmd *cmd)
{
	struct cxl_mbox_get_log *gl = cmd->payload_in;
	uuid_t cel = DEFINE_CXL_CEL_UUID;
	u32 offset, length;

	if (cmd->size_in < sizeof(*gl) || !uuid_equal(&gl->uuid, &cel)) {
		cmd->return_code = CXL_MBOX_CMD_RC_LOG;
		return 0;
	}
	offset = le32_to_cpu(gl->offset);
	length = le32_to_cpu(gl->length);
	if (offset > sizeof(emu_cel) || length > sizeof(emu_cel) - offset || length > cmd->size_out) {
		cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
		return 0;
	}
	memcpy(cmd->payload_out, (const u8 *)emu_cel + offset, length);
	cmd->size_out = length;
	return 0;
}

/* ---- the features ---- */

static int emu_add(struct device *dev, struct emu_feat *f, const uuid_t *uuid, enum feat_kind kind,
		   u16 get_size, u16 set_size, u32 flags, u16 effects, const u8 *init)
{
	*f = (struct emu_feat){
		.kind = kind, .get_size = get_size, .set_size = set_size, .flags = flags,
		.get_ver = 1, .set_ver = 1, .effects = effects,
	};
	uuid_copy(&f->uuid, uuid);
	f->cur = devm_kzalloc(dev, get_size, GFP_KERNEL);
	f->dflt = devm_kzalloc(dev, get_size, GFP_KERNEL);
	f->saved = devm_kzalloc(dev, get_size, GFP_KERNEL);
	f->staging = devm_kzalloc(dev, max_t(u16, set_size, 1), GFP_KERNEL);
	if (!f->cur || !f->dflt || !f->saved || !f->staging)
		return -ENOMEM;
	if (init)
		memcpy(f->cur, init, get_size);
	memcpy(f->dflt, f->cur, get_size);
	memcpy(f->saved, f->cur, get_size);
	return 0;
}

#define SEL_FLAGS (CXL_FEATURE_F_CHANGEABLE | CXL_FEATURE_F_DEFAULT_SEL | CXL_FEATURE_F_SAVED_SEL)
#define IMMEDIATE (CXL_CMD_CONFIG_CHANGE_IMMEDIATE | CXL_CMD_EFFECTS_VALID)
#define COLD_RESET (CXL_CMD_CONFIG_CHANGE_COLD_RESET | CXL_CMD_EFFECTS_VALID)

static int emu_build(struct device *dev, struct emu *e)
{
	static const uuid_t sparing[] = {
		CXL_FEAT_CACHELINE_SPARING_UUID, CXL_FEAT_ROW_SPARING_UUID,
		CXL_FEAT_BANK_SPARING_UUID, CXL_FEAT_RANK_SPARING_UUID,
	};
	const uuid_t scrub = CXL_FEAT_PATROL_SCRUB_UUID, ecs = CXL_FEAT_ECS_UUID;
	const uuid_t sppr = CXL_FEAT_SPPR_UUID, hppr = CXL_FEAT_HPPR_UUID;
	/* Table 8-222: changeable + realtime report; cycle 12 h, minimum 1 h; enabled */
	const u8 scrub_rd[4] = { 0x03, 12, 1, 0x01 };
	/* Table 8-225: per-FRU log entries; FRU 0 codewords/256, FRU 1 rows/4096 */
	const u8 ecs_rd[1 + 4 * ECS_FRUS] = { 0x01, 0x01, 0x0b, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00 };
	u8 ppr_rd[20], spar_rd[19], *buf;
	int n = 0, rc, i;

	e->nfeats = 8 + 3 + FILLERS;
	e->feats = devm_kcalloc(dev, e->nfeats, sizeof(*e->feats), GFP_KERNEL);
	if (!e->feats)
		return -ENOMEM;

	rc = emu_add(dev, &e->feats[n++], &scrub, K_SCRUB, sizeof(scrub_rd), 2,
		     CXL_FEATURE_F_CHANGEABLE | CXL_FEATURE_F_DEFAULT_SEL, IMMEDIATE, scrub_rd);
	rc = rc ?: emu_add(dev, &e->feats[n++], &ecs, K_ECS, sizeof(ecs_rd), 1 + 2 * ECS_FRUS,
			   CXL_FEATURE_F_CHANGEABLE | CXL_FEATURE_F_DEFAULT_SEL, IMMEDIATE, ecs_rd);
	/* Tables 8-128/8-131: class 01h (PPR), subclass 00h soft / 01h hard; DPA + nibble; not safe in use */
	for (i = 0; i < 2 && !rc; i++) {
		memset(ppr_rd, 0, sizeof(ppr_rd));
		ppr_rd[0] = 0x25;
		ppr_rd[5] = 0x01;
		ppr_rd[6] = i;
		ppr_rd[16] = 0x03;
		put_unaligned_le16(0x0001, &ppr_rd[17]);
		rc = emu_add(dev, &e->feats[n++], i ? &hppr : &sppr, i ? K_HPPR : K_SPPR, sizeof(ppr_rd), 3,
			     CXL_FEATURE_F_CHANGEABLE, IMMEDIATE, ppr_rd);
	}
	/* Table 8-134: class 02h (sparing), subclass 00h-03h; safe in use, hard and soft */
	for (i = 0; i < ARRAY_SIZE(sparing) && !rc; i++) {
		memset(spar_rd, 0, sizeof(spar_rd));
		spar_rd[0] = 0x13;
		spar_rd[5] = 0x02;
		spar_rd[6] = i;
		put_unaligned_le16(0x0006, &spar_rd[17]);
		rc = emu_add(dev, &e->feats[n++], &sparing[i], K_SPARING, sizeof(spar_rd), 2,
			     CXL_FEATURE_F_CHANGEABLE, IMMEDIATE, spar_rd);
	}
	if (rc)
		return rc;

	{
		const uuid_t imm = VENDOR_UUID(1), rst = VENDOR_UUID(2), big = VENDOR_UUID(3);
		const u8 imm_v[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
		const u8 rst_v[4] = { 0xef, 0xbe, 0xad, 0xde };

		buf = kmalloc(LARGE_SIZE, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		for (i = 0; i < LARGE_SIZE; i++)
			buf[i] = i & 0xff;
		rc = emu_add(dev, &e->feats[n++], &imm, K_VENDOR, 8, 8, SEL_FLAGS, IMMEDIATE, imm_v);
		rc = rc ?: emu_add(dev, &e->feats[n++], &rst, K_VENDOR, 4, 4, SEL_FLAGS, COLD_RESET, rst_v);
		rc = rc ?: emu_add(dev, &e->feats[n++], &big, K_VENDOR, LARGE_SIZE, LARGE_SIZE, SEL_FLAGS,
				   COLD_RESET, buf);
		kfree(buf);
	}
	for (i = 0; i < FILLERS && !rc; i++) {
		const uuid_t ro = VENDOR_UUID(0x10 + i);
		u8 v[4] = { 0x10 + i, 0, 0, 0 };

		rc = emu_add(dev, &e->feats[n++], &ro, K_VENDOR, 4, 0, CXL_FEATURE_F_DEFAULT_SEL, 0, v);
	}
	return rc;
}

static struct emu_feat *emu_find(struct emu *e, const uuid_t *uuid)
{
	for (int i = 0; i < e->nfeats; i++)
		if (uuid_equal(&e->feats[i].uuid, uuid))
			return &e->feats[i];
	return NULL;
}

static bool emu_fail(struct cxl_mbox_cmd *cmd)
{
	u16 rc = READ_ONCE(fail_rc);

	if (!rc)
		return false;
	WRITE_ONCE(fail_rc, 0);
	cmd->return_code = rc;
	cmd->size_out = 0;
	return true;
}

static int emu_get_supported(struct emu *e, struct cxl_mbox_cmd *cmd)
{
	struct cxl_mbox_get_sup_feats_in *in = cmd->payload_in;
	struct cxl_mbox_get_sup_feats_out *out = cmd->payload_out;
	u32 count;
	u16 start;
	int n, room;

	if (cmd->size_in < sizeof(*in) || cmd->size_out < sizeof(out->hdr)) {
		cmd->return_code = CXL_MBOX_CMD_RC_PAYLOADLEN;
		return 0;
	}
	count = le32_to_cpu(in->count);
	start = le16_to_cpu(in->start_idx);
	if (count < sizeof(out->hdr) || start > e->nfeats) {
		cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
		return 0;
	}
	room = (min_t(size_t, count, cmd->size_out) - sizeof(out->hdr)) / sizeof(out->ents[0]);
	n = min(room, e->nfeats - start);
	memset(out, 0, struct_size(out, ents, n));
	out->num_entries = cpu_to_le16(n);
	out->supported_feats = cpu_to_le16(e->nfeats);
	for (int i = 0; i < n; i++) {
		const struct emu_feat *f = &e->feats[start + i];
		struct cxl_feat_entry *ent = &out->ents[i];

		uuid_copy(&ent->uuid, &f->uuid);
		ent->id = cpu_to_le16(start + i);
		ent->get_feat_size = cpu_to_le16(f->get_size);
		ent->set_feat_size = cpu_to_le16(f->set_size);
		ent->flags = cpu_to_le32(f->flags);
		ent->get_feat_ver = f->get_ver;
		ent->set_feat_ver = f->set_ver;
		ent->effects = cpu_to_le16(f->effects);
	}
	cmd->size_out = struct_size(out, ents, n);
	return 0;
}

static int emu_get_feature(struct emu *e, struct cxl_mbox_cmd *cmd)
{
	struct cxl_mbox_get_feat_in *in = cmd->payload_in;
	struct emu_feat *f;
	u16 offset, count;
	const u8 *src;

	if (cmd->size_in < sizeof(*in)) {
		cmd->return_code = CXL_MBOX_CMD_RC_PAYLOADLEN;
		return 0;
	}
	if (emu_fail(cmd))
		return 0;
	f = emu_find(e, &in->uuid);
	if (!f) {
		cmd->return_code = CXL_MBOX_CMD_RC_UNSUPPORTED;
		return 0;
	}
	offset = le16_to_cpu(in->offset);
	count = le16_to_cpu(in->count);
	switch (in->selection) {
	case CXL_GET_FEAT_SEL_CURRENT_VALUE:
		src = f->cur;
		break;
	case CXL_GET_FEAT_SEL_DEFAULT_VALUE:
		src = f->flags & CXL_FEATURE_F_DEFAULT_SEL ? f->dflt : NULL;
		break;
	case CXL_GET_FEAT_SEL_SAVED_VALUE:
		src = f->flags & CXL_FEATURE_F_SAVED_SEL ? f->saved : NULL;
		break;
	default:
		src = NULL;
	}
	if (!src) {
		cmd->return_code = CXL_MBOX_CMD_RC_FEATURESELVALUE;
		return 0;
	}
	if (offset >= f->get_size || count > f->get_size - offset || count > cmd->size_out) {
		cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
		return 0;
	}
	memcpy(cmd->payload_out, src + offset, count);
	cmd->size_out = count;
	return 0;
}

/* Apply a complete write (set_size bytes in staging) to the readable data. */
static void emu_commit(struct emu_feat *f)
{
	const u8 *w = f->staging;

	switch (f->kind) {
	case K_SCRUB:	/* Table 8-223: cycle hours, flags */
		f->cur[1] = w[0];
		f->cur[3] = w[1] & 0x01;
		break;
	case K_ECS:	/* Table 8-226: log capabilities, then a configuration per FRU */
		f->cur[0] = w[0] & 0x03;
		for (int i = 0; i < ECS_FRUS; i++) {
			u16 cfg = get_unaligned_le16(&w[1 + 2 * i]) & 0x0f; /* reset (bit 4) is an action */

			put_unaligned_le16(cfg, &f->cur[1 + 4 * i + 1]);
		}
		break;
	case K_SPPR: case K_HPPR:	/* operation mode (u16), PPR operation mode (u8) */
		put_unaligned_le16(get_unaligned_le16(&w[0]) & 0x1, &f->cur[3]);
		f->cur[19] = w[2] & 0x3;
		break;
	case K_SPARING:	/* operation mode (u16) */
		put_unaligned_le16(get_unaligned_le16(&w[0]) & 0x1, &f->cur[3]);
		break;
	case K_VENDOR:
		memcpy(f->cur, w, min(f->set_size, f->get_size));
		break;
	}
	memcpy(f->saved, f->cur, f->get_size);
}

static int emu_set_feature(struct emu *e, struct cxl_mbox_cmd *cmd)
{
	struct cxl_mbox_set_feat_in *in = cmd->payload_in;
	size_t hdr = sizeof(in->hdr), len;
	struct emu_feat *f;
	u32 action;
	u16 offset;

	if (cmd->size_in < hdr) {
		cmd->return_code = CXL_MBOX_CMD_RC_PAYLOADLEN;
		return 0;
	}
	if (emu_fail(cmd))
		return 0;
	f = emu_find(e, &in->hdr.uuid);
	if (!f) {
		cmd->return_code = CXL_MBOX_CMD_RC_UNSUPPORTED;
		return 0;
	}
	if (!(f->flags & CXL_FEATURE_F_CHANGEABLE) || !f->set_size) {
		cmd->return_code = CXL_MBOX_CMD_RC_UNSUPPORTED;
		return 0;
	}
	action = FIELD_GET(CXL_SET_FEAT_FLAG_DATA_TRANSFER_MASK, le32_to_cpu(in->hdr.flags));
	if (action == CXL_SET_FEAT_FLAG_ABORT_DATA_TRANSFER) {
		f->in_transfer = false;
		return 0;
	}
	if (in->hdr.version != f->set_ver) {
		cmd->return_code = CXL_MBOX_CMD_RC_FEATUREVERSION;
		return 0;
	}
	offset = le16_to_cpu(in->hdr.offset);
	len = cmd->size_in - hdr;
	if (offset > f->set_size || len > f->set_size - offset) {
		cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
		return 0;
	}
	switch (action) {
	case CXL_SET_FEAT_FLAG_FULL_DATA_TRANSFER:
	case CXL_SET_FEAT_FLAG_INITIATE_DATA_TRANSFER:
		/* the data lands at offset over the current value (a partial update when offset > 0) */
		if (f->in_transfer && action == CXL_SET_FEAT_FLAG_FULL_DATA_TRANSFER) {
			cmd->return_code = CXL_MBOX_CMD_RC_FEATURETRANSFERIP;
			return 0;
		}
		if (f->kind == K_VENDOR)
			memcpy(f->staging, f->cur, min(f->set_size, f->get_size));
		else if (offset || len != f->set_size) {	/* writable attributes: whole only */
			cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
			return 0;
		}
		f->in_transfer = action == CXL_SET_FEAT_FLAG_INITIATE_DATA_TRANSFER;
		break;
	case CXL_SET_FEAT_FLAG_CONTINUE_DATA_TRANSFER:
	case CXL_SET_FEAT_FLAG_FINISH_DATA_TRANSFER:
		if (!f->in_transfer || offset != f->xfer_next) {
			f->in_transfer = false;
			cmd->return_code = CXL_MBOX_CMD_RC_FEATURETRANSFEROOO;
			return 0;
		}
		break;
	default:
		cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
		return 0;
	}
	memcpy(f->staging + offset, in->feat_data, len);
	f->xfer_next = offset + len;
	if (action == CXL_SET_FEAT_FLAG_FULL_DATA_TRANSFER || action == CXL_SET_FEAT_FLAG_FINISH_DATA_TRANSFER) {
		emu_commit(f);
		f->in_transfer = false;
	}
	return 0;
}

static int emu_mbox_send(struct cxl_mailbox *cxl_mbox, struct cxl_mbox_cmd *cmd)
{
	struct emu *e = dev_get_drvdata(cxl_mbox->host);
	int rc;

	cmd->return_code = CXL_MBOX_CMD_RC_SUCCESS;
	mutex_lock(&e->lock);
	switch (cmd->opcode) {
	case CXL_MBOX_OP_GET_SUPPORTED_LOGS:
		rc = emu_gsl(cmd);
		break;
	case CXL_MBOX_OP_GET_LOG:
		rc = emu_get_log(cmd);
		break;
	case CXL_MBOX_OP_GET_SUPPORTED_FEATURES:
		rc = emu_get_supported(e, cmd);
		break;
	case CXL_MBOX_OP_GET_FEATURE:
		rc = emu_get_feature(e, cmd);
		break;
	case CXL_MBOX_OP_SET_FEATURE:
		rc = emu_set_feature(e, cmd);
		break;
	default:
		cmd->return_code = CXL_MBOX_CMD_RC_UNSUPPORTED;
		rc = 0;
	}
	mutex_unlock(&e->lock);
	if (cmd->return_code != CXL_MBOX_CMD_RC_SUCCESS)
		cmd->size_out = 0;
	return rc;
}

/* ---- the device ---- */

static int emu_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct cxl_memdev_state *mds;
	struct cxl_memdev *cxlmd;
	struct emu *e;
	int rc;

	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	mutex_init(&e->lock);
	dev_set_drvdata(dev, e);
	rc = emu_build(dev, e);
	if (rc)
		return rc;

	mds = cxl_memdev_state_create(dev, 0xc0de0001, 0);
	if (IS_ERR(mds))
		return PTR_ERR(mds);
	e->mds = mds;
	rc = cxl_mailbox_init(&mds->cxlds.cxl_mbox, dev);
	if (rc)
		return rc;
	mds->cxlds.cxl_mbox.mbox_send = emu_mbox_send;
	mds->cxlds.cxl_mbox.payload_size = PAYLOAD;

	rc = cxl_enumerate_cmds(mds);	/* Get Supported Logs, Get Log (CEL): enables the feature commands */
	if (rc)
		return rc;
	rc = devm_cxl_setup_features(&mds->cxlds);
	if (rc)
		return dev_err_probe(dev, rc, "no CXL features\n");
	cxlmd = devm_cxl_add_classdev(&mds->cxlds);
	if (IS_ERR(cxlmd))
		return PTR_ERR(cxlmd);
	rc = devm_cxl_setup_fwctl(dev, cxlmd);
	if (rc)
		return dev_err_probe(dev, rc, "no fwctl device\n");
	dev_info(dev, "%s: %d features, mailbox payload %d bytes\n", dev_name(&cxlmd->dev), e->nfeats, PAYLOAD);
	return 0;
}

static struct platform_driver emu_driver = {
	.probe = emu_probe,
	.driver = { .name = "fwctl_cxlemu" },
};

static struct platform_device *emu_pdev;

static int __init emu_init(void)
{
	int rc = platform_driver_register(&emu_driver);

	if (rc)
		return rc;
	emu_pdev = platform_device_register_simple("fwctl_cxlemu", PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(emu_pdev)) {
		platform_driver_unregister(&emu_driver);
		return PTR_ERR(emu_pdev);
	}
	return 0;
}

static void __exit emu_exit(void)
{
	platform_device_unregister(emu_pdev);
	platform_driver_unregister(&emu_driver);
}

module_init(emu_init);
module_exit(emu_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fwctl-node: an emulated CXL memdev with a feature set of its own, under the real drivers/cxl");
MODULE_IMPORT_NS("CXL");
