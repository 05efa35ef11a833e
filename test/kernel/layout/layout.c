// SPDX-License-Identifier: GPL-2.0
/*
 * layout: sizeof/alignof/offsetof of the fwctl UAPI structs, as JSON, from
 * the real kernel headers. The TypeScript layout test compares lib/uapi/
 * against this output.
 *
 * Built by test/kernel/scripts/build-module.sh KBUILD layout, with -I a copy
 * of the kernel build's usr/include (`make headers`); see that script for
 * the sanitising of the CXL headers.
 *
 * Output: one JSON object. Per struct:
 *   "name": {"size": N, "align": N,
 *            "fields": {"field": {"offset": N, "size": N}, ...}}
 * Nested struct/union members are listed both as themselves and, dotted,
 * with their own members (offsets relative to the outermost struct);
 * the nested types are also listed on their own as "outer.member".
 * "constants" holds the ioctl numbers and enum values.
 */
#include <stddef.h>
#include <stdio.h>

#include <fwctl/fwctl.h>
#include <fwctl/mlx5.h>
#include <fwctl/bnxt.h>
#include <fwctl/pds.h>
#include <fwctl/cxl.h>

static int first_struct = 1, first_field;

#define MEMBER_T(T, m) __typeof__(((T *)0)->m)

static void begin(const char *name, size_t size, size_t align)
{
	printf("%s\n  \"%s\": {\"size\": %zu, \"align\": %zu, \"fields\": {",
	       first_struct ? "" : ",", name, size, align);
	first_struct = 0;
	first_field = 1;
}

static void field(const char *name, size_t off, size_t size)
{
	printf("%s\n    \"%s\": {\"offset\": %zu, \"size\": %zu}",
	       first_field ? "" : ",", name, off, size);
	first_field = 0;
}

static void end(void)
{
	printf("\n  }}");
}

#define S(T) begin(#T, sizeof(struct T), _Alignof(struct T))
#define SN(name, T) begin(name, sizeof(T), _Alignof(T))
#define F(T, m) field(#m, offsetof(struct T, m), sizeof(((struct T *)0)->m))
/* member m of nested member n, offset relative to the outer struct */
#define FN(T, n, m) field(#n "." #m, offsetof(struct T, n) + offsetof(MEMBER_T(struct T, n), m), \
			  sizeof(((struct T *)0)->n.m))
/* member of a nested type listed on its own */
#define FT(T, m) field(#m, offsetof(T, m), sizeof(((T *)0)->m))

static int first_const = 1;

static void konst(const char *name, unsigned long long v)
{
	printf("%s\n    \"%s\": %llu", first_const ? "" : ",", name, v);
	first_const = 0;
}
#define K(x) konst(#x, (unsigned long long)(x))

int main(void)
{
	printf("{");

	S(fwctl_info);
	F(fwctl_info, size); F(fwctl_info, flags); F(fwctl_info, out_device_type);
	F(fwctl_info, device_data_len); F(fwctl_info, out_device_data);
	end();

	S(fwctl_rpc);
	F(fwctl_rpc, size); F(fwctl_rpc, scope); F(fwctl_rpc, in_len);
	F(fwctl_rpc, out_len); F(fwctl_rpc, in); F(fwctl_rpc, out);
	end();

	S(fwctl_info_mlx5);
	F(fwctl_info_mlx5, uid); F(fwctl_info_mlx5, uctx_caps);
	end();

	S(fwctl_info_bnxt);
	F(fwctl_info_bnxt, uctx_caps);
	end();

	S(fwctl_info_pds);
	F(fwctl_info_pds, uctx_caps);
	end();

	S(fwctl_rpc_pds);
	F(fwctl_rpc_pds, in);
	FN(fwctl_rpc_pds, in, op); FN(fwctl_rpc_pds, in, ep); FN(fwctl_rpc_pds, in, rsvd);
	FN(fwctl_rpc_pds, in, len); FN(fwctl_rpc_pds, in, payload);
	F(fwctl_rpc_pds, out);
	FN(fwctl_rpc_pds, out, retval); FN(fwctl_rpc_pds, out, rsvd);
	FN(fwctl_rpc_pds, out, len); FN(fwctl_rpc_pds, out, payload);
	end();

	SN("fwctl_rpc_pds.in", MEMBER_T(struct fwctl_rpc_pds, in));
	FT(MEMBER_T(struct fwctl_rpc_pds, in), op); FT(MEMBER_T(struct fwctl_rpc_pds, in), ep);
	FT(MEMBER_T(struct fwctl_rpc_pds, in), rsvd); FT(MEMBER_T(struct fwctl_rpc_pds, in), len);
	FT(MEMBER_T(struct fwctl_rpc_pds, in), payload);
	end();

	SN("fwctl_rpc_pds.out", MEMBER_T(struct fwctl_rpc_pds, out));
	FT(MEMBER_T(struct fwctl_rpc_pds, out), retval); FT(MEMBER_T(struct fwctl_rpc_pds, out), rsvd);
	FT(MEMBER_T(struct fwctl_rpc_pds, out), len); FT(MEMBER_T(struct fwctl_rpc_pds, out), payload);
	end();

	S(fwctl_rpc_cxl);
	F(fwctl_rpc_cxl, hdr);
	F(fwctl_rpc_cxl, opcode); F(fwctl_rpc_cxl, flags); F(fwctl_rpc_cxl, op_size);
	F(fwctl_rpc_cxl, reserved1);
	F(fwctl_rpc_cxl, get_sup_feats_in); F(fwctl_rpc_cxl, get_feat_in);
	F(fwctl_rpc_cxl, set_feat_in);
	end();

	S(fwctl_rpc_cxl_out);
	F(fwctl_rpc_cxl_out, hdr);
	F(fwctl_rpc_cxl_out, size); F(fwctl_rpc_cxl_out, retval);
	F(fwctl_rpc_cxl_out, get_sup_feats_out);
	field("payload", offsetof(struct fwctl_rpc_cxl_out, payload), 0);
	end();

	S(cxl_mbox_get_sup_feats_in);
	F(cxl_mbox_get_sup_feats_in, count); F(cxl_mbox_get_sup_feats_in, start_idx);
	F(cxl_mbox_get_sup_feats_in, reserved);
	end();

	S(cxl_feat_entry);
	F(cxl_feat_entry, uuid); F(cxl_feat_entry, id); F(cxl_feat_entry, get_feat_size);
	F(cxl_feat_entry, set_feat_size); F(cxl_feat_entry, flags);
	F(cxl_feat_entry, get_feat_ver); F(cxl_feat_entry, set_feat_ver);
	F(cxl_feat_entry, effects); F(cxl_feat_entry, reserved);
	end();

	S(cxl_mbox_get_sup_feats_out);
	F(cxl_mbox_get_sup_feats_out, num_entries); F(cxl_mbox_get_sup_feats_out, supported_feats);
	F(cxl_mbox_get_sup_feats_out, reserved);
	field("ents", offsetof(struct cxl_mbox_get_sup_feats_out, ents), 0);
	end();

	S(cxl_mbox_get_feat_in);
	F(cxl_mbox_get_feat_in, uuid); F(cxl_mbox_get_feat_in, offset);
	F(cxl_mbox_get_feat_in, count); F(cxl_mbox_get_feat_in, selection);
	end();

	S(cxl_mbox_set_feat_in);
	F(cxl_mbox_set_feat_in, uuid); F(cxl_mbox_set_feat_in, flags);
	F(cxl_mbox_set_feat_in, offset); F(cxl_mbox_set_feat_in, version);
	F(cxl_mbox_set_feat_in, rsvd);
	field("feat_data", offsetof(struct cxl_mbox_set_feat_in, feat_data), 0);
	end();

	printf(",\n  \"constants\": {");
	K(FWCTL_TYPE); K(FWCTL_INFO); K(FWCTL_RPC);
	K(FWCTL_DEVICE_TYPE_ERROR); K(FWCTL_DEVICE_TYPE_MLX5); K(FWCTL_DEVICE_TYPE_CXL);
	K(FWCTL_DEVICE_TYPE_BNXT); K(FWCTL_DEVICE_TYPE_PDS);
	K(FWCTL_RPC_CONFIGURATION); K(FWCTL_RPC_DEBUG_READ_ONLY);
	K(FWCTL_RPC_DEBUG_WRITE); K(FWCTL_RPC_DEBUG_WRITE_FULL);
	K(PDS_FWCTL_QUERY_CAP); K(PDS_FWCTL_SEND_CAP);
	K(FWCTL_BNXT_INLINE_COMMANDS); K(FWCTL_BNXT_QUERY_COMMANDS);
	K(FWCTL_BNXT_SEND_COMMANDS); K(FWCTL_BNXT_DMA_COMMANDS); K(FWCTL_BNXT_MAX_DMABUF);
	printf("\n  }\n}\n");
	return 0;
}
