// SPDX-License-Identifier: GPL-2.0
/*
 * probe: raw fwctl ioctl checks for the kernel test suite, and a plain C
 * benchmark client.
 *
 * The errno rules of drivers/fwctl/main.c are checked here with hand-made
 * ioctl arguments that the Node package deliberately cannot produce (wrong
 * ioctl numbers, short or oversized structs, bad pointers, dropped
 * capabilities). Built static against the kernel build's usr/include (the
 * real UAPI header) by test/kernel/scripts/build-module.sh probe.
 *
 *   probe DEVPATH CASE          run one case
 *   probe DEVPATH all           run every case
 *   probe DEVPATH list          print the case names
 *   probe DEVPATH bench-info N  N x FWCTL_INFO (16-byte device_data buffer)
 *   probe DEVPATH bench-rpc N SIZE
 *                               N x FWCTL_RPC, mock ECHO of SIZE payload bytes
 *   probe DEVPATH info LEN      FWCTL_INFO with a LEN-byte buffer, as JSON
 *   probe DEVPATH rpc OP ARG OUTLEN [SCOPE [PAYLOADHEX]]
 *                               one mock request, result as JSON
 *   probe DEVPATH unplug CTLPATH|rmmod:MODULE [SLEEP_MS]
 *                               "del" the device (or unload the module)
 *                               under an open fd and an optional in-flight
 *                               SLEEP, then check ENODEV/ENOENT
 *
 * Each case prints one JSON line and the exit status is 0 whatever the
 * errno (the suite compares): {"case":"enotty","errno":25,"name":"ENOTTY",
 * "expect":"ENOTTY","ok":true}. errno 0 / name "OK" is a successful ioctl.
 * Exit status 2: usage error or DEVPATH cannot be opened.
 *
 * Cases (expected result; "struct" is fwctl_info unless marked rpc):
 *   info_ok, rpc_ok          valid INFO / mock ECHO RPC             OK
 *   enotty                   _IO(0x9A, 2)                           ENOTTY
 *   enotty_sizebits          _IOWR(0x9A, 0, struct fwctl_info)      ENOTTY
 *   enotty_type              _IO(0x9B, 0)                           ENOTTY
 *   size_below_min           size 16 (< offsetofend out_device_data) EINVAL
 *   size_zero                size 0                                 EINVAL
 *   rpc_size_below_min       rpc size 31                            EINVAL
 *   zero_tail, rpc_zero_tail size + 8 zero bytes                    OK
 *   nonzero_tail, rpc_nonzero_tail  size + 8, a non-zero byte       E2BIG
 *   info_flags               INFO flags = 1                         EOPNOTSUPP
 *   bad_scope                RPC scope = 4                          EOPNOTSUPP
 *   in_len_2m, out_len_2m    in_len / out_len = 2 MiB + 1           EMSGSIZE
 *   len_2m_ok                in_len = out_len = 2 MiB (ECHO)        OK
 *   efault                   argument pointer on a PROT_NONE page   EFAULT
 *   efault_info_data         out_device_data bad                    EFAULT
 *   efault_rpc_in, efault_rpc_out   in / out bad                    EFAULT
 *   eperm_rawio              scope 3 without CAP_SYS_RAWIO (child
 *                            drops it from its effective set)       EPERM
 *
 * The RPC cases that reach the driver speak the fwctl_mock protocol
 * (test/kernel/mock/PROTOCOL.md): op ECHO = 0 with a 16-byte header.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <fwctl/fwctl.h>

#define MAX_RPC_LEN (2u * 1024 * 1024) /* drivers/fwctl/main.c */
#define MOCK_HDR 16
#define MOCK_OP_ECHO 0

static int fd = -1;
static void *bad_ptr; /* an address that faults: a PROT_NONE page */

/* ioctl returning 0 or errno */
static int xioctl(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? errno : 0;
}

static uint64_t uptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBADMSG: return "EBADMSG";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* A valid mock ECHO request: 16-byte header + 8 payload bytes. */
static unsigned char echo_req[MOCK_HDR + 8] = { MOCK_OP_ECHO };
static unsigned char rpc_out[64];

static void rpc_init(struct fwctl_rpc *rpc)
{
	memset(rpc, 0, sizeof(*rpc));
	rpc->size = sizeof(*rpc);
	rpc->scope = FWCTL_RPC_CONFIGURATION;
	rpc->in_len = sizeof(echo_req);
	rpc->out_len = sizeof(rpc_out);
	rpc->in = uptr(echo_req);
	rpc->out = uptr(rpc_out);
}

static unsigned char info_data[16];

static void info_init(struct fwctl_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->device_data_len = sizeof(info_data);
	info->out_device_data = uptr(info_data);
}

/* A struct followed by an 8-byte tail, to test the size/extension rules. */
union big_info { struct fwctl_info s; unsigned char raw[sizeof(struct fwctl_info) + 8]; };
union big_rpc { struct fwctl_rpc s; unsigned char raw[sizeof(struct fwctl_rpc) + 8]; };

/* ---- cases ---- */

static int c_enotty(void)
{
	struct fwctl_info info;

	info_init(&info);
	return xioctl(_IO(FWCTL_TYPE, 2), &info); /* nr past FWCTL_CMD_RPC */
}

static int c_enotty_sizebits(void)
{
	struct fwctl_info info;

	info_init(&info);
	/* right type and nr, but with direction/size bits */
	return xioctl(_IOWR(FWCTL_TYPE, FWCTL_CMD_INFO, struct fwctl_info), &info);
}

static int c_enotty_type(void)
{
	struct fwctl_info info;

	info_init(&info);
	return xioctl(_IO(FWCTL_TYPE + 1, FWCTL_CMD_INFO), &info);
}

static int c_info_ok(void)
{
	struct fwctl_info info;

	info_init(&info);
	return xioctl(FWCTL_INFO, &info);
}

static int c_rpc_ok(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_einval_info_size(void)
{
	struct fwctl_info info;

	info_init(&info);
	info.size = offsetof(struct fwctl_info, out_device_data); /* 16 < 24 */
	return xioctl(FWCTL_INFO, &info);
}

static int c_einval_info_size0(void)
{
	struct fwctl_info info;

	info_init(&info);
	info.size = 0;
	return xioctl(FWCTL_INFO, &info);
}

static int c_einval_rpc_size(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.size = sizeof(rpc) - 1;
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_tail_zero_info(void)
{
	union big_info b;

	memset(&b, 0, sizeof(b));
	info_init(&b.s);
	b.s.size = sizeof(b);
	return xioctl(FWCTL_INFO, &b);
}

static int c_tail_zero_rpc(void)
{
	union big_rpc b;

	memset(&b, 0, sizeof(b));
	rpc_init(&b.s);
	b.s.size = sizeof(b);
	return xioctl(FWCTL_RPC, &b);
}

static int c_e2big_info(void)
{
	union big_info b;

	memset(&b, 0, sizeof(b));
	info_init(&b.s);
	b.s.size = sizeof(b);
	b.raw[sizeof(b) - 1] = 1;
	return xioctl(FWCTL_INFO, &b);
}

static int c_e2big_rpc(void)
{
	union big_rpc b;

	memset(&b, 0, sizeof(b));
	rpc_init(&b.s);
	b.s.size = sizeof(b);
	b.raw[sizeof(struct fwctl_rpc)] = 0x80;
	return xioctl(FWCTL_RPC, &b);
}

static int c_eopnotsupp_flags(void)
{
	struct fwctl_info info;

	info_init(&info);
	info.flags = 1;
	return xioctl(FWCTL_INFO, &info);
}

static int c_eopnotsupp_scope(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.scope = FWCTL_RPC_DEBUG_WRITE_FULL + 1;
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_emsgsize_in(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.in_len = MAX_RPC_LEN + 1; /* checked before anything is read */
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_emsgsize_out(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.out_len = MAX_RPC_LEN + 1;
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_max_len_ok(void)
{
	/* exactly MAX_RPC_LEN on both sides is allowed */
	unsigned char *in = calloc(1, MAX_RPC_LEN), *out = malloc(MAX_RPC_LEN);
	struct fwctl_rpc rpc;
	int ret;

	if (!in || !out)
		return ENOMEM;
	rpc_init(&rpc);
	rpc.in_len = rpc.out_len = MAX_RPC_LEN;
	rpc.in = uptr(in);
	rpc.out = uptr(out);
	ret = xioctl(FWCTL_RPC, &rpc);
	if (!ret && rpc.out_len != MAX_RPC_LEN - MOCK_HDR)
		ret = EBADMSG; /* echo came back with the wrong length */
	free(in);
	free(out);
	return ret;
}

static int c_efault_arg(void)
{
	return xioctl(FWCTL_INFO, bad_ptr);
}

static int c_efault_info_data(void)
{
	struct fwctl_info info;

	info_init(&info);
	info.out_device_data = uptr(bad_ptr);
	return xioctl(FWCTL_INFO, &info);
}

static int c_efault_rpc_in(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.in = uptr(bad_ptr);
	return xioctl(FWCTL_RPC, &rpc);
}

static int c_efault_rpc_out(void)
{
	struct fwctl_rpc rpc;

	rpc_init(&rpc);
	rpc.out = uptr(bad_ptr);
	return xioctl(FWCTL_RPC, &rpc);
}

/*
 * DEBUG_WRITE_FULL without CAP_SYS_RAWIO: EPERM, checked before the taint.
 * A forked child drops the capability from its effective set (raw capset,
 * no libcap) so the caller keeps it. Needs root to be meaningful.
 */
static int c_eperm_rawio(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];
		struct fwctl_rpc rpc;

		if (syscall(SYS_capget, &hdr, data))
			_exit(100);
		data[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
		if (syscall(SYS_capset, &hdr, data))
			_exit(101);
		rpc_init(&rpc);
		rpc.scope = FWCTL_RPC_DEBUG_WRITE_FULL;
		_exit(xioctl(FWCTL_RPC, &rpc));
	}
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (!WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

struct pcase {
	const char *name;
	int (*fn)(void);
	int expect;
};

static const struct pcase cases[] = {
	{ "info_ok", c_info_ok, 0 },
	{ "rpc_ok", c_rpc_ok, 0 },
	{ "enotty", c_enotty, ENOTTY },
	{ "enotty_sizebits", c_enotty_sizebits, ENOTTY },
	{ "enotty_type", c_enotty_type, ENOTTY },
	{ "size_below_min", c_einval_info_size, EINVAL },
	{ "size_zero", c_einval_info_size0, EINVAL },
	{ "rpc_size_below_min", c_einval_rpc_size, EINVAL },
	{ "zero_tail", c_tail_zero_info, 0 },
	{ "rpc_zero_tail", c_tail_zero_rpc, 0 },
	{ "nonzero_tail", c_e2big_info, E2BIG },
	{ "rpc_nonzero_tail", c_e2big_rpc, E2BIG },
	{ "info_flags", c_eopnotsupp_flags, EOPNOTSUPP },
	{ "bad_scope", c_eopnotsupp_scope, EOPNOTSUPP },
	{ "in_len_2m", c_emsgsize_in, EMSGSIZE },
	{ "out_len_2m", c_emsgsize_out, EMSGSIZE },
	{ "len_2m_ok", c_max_len_ok, 0 },
	{ "efault", c_efault_arg, EFAULT },
	{ "efault_info_data", c_efault_info_data, EFAULT },
	{ "efault_rpc_in", c_efault_rpc_in, EFAULT },
	{ "efault_rpc_out", c_efault_rpc_out, EFAULT },
	{ "eperm_rawio", c_eperm_rawio, EPERM },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void run_case(const struct pcase *c)
{
	int e = c->fn();

	printf("{\"case\":\"%s\",\"errno\":%d,\"name\":\"%s\",", c->name, e, errname(e));
	printf("\"expect\":\"%s\",\"ok\":%s}\n", errname(c->expect),
	       e == c->expect ? "true" : "false");
	fflush(stdout);
}

/* ---- benchmarks ---- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench_info(unsigned long n)
{
	struct fwctl_info info;
	double t0, t1;
	unsigned long i;

	for (i = 0, t0 = now_ns(); i < n; i++) {
		info_init(&info);
		if (ioctl(fd, FWCTL_INFO, &info) < 0) {
			perror("FWCTL_INFO");
			return 1;
		}
	}
	t1 = now_ns();
	printf("{\"bench\":\"info\",\"n\":%lu,\"ns_per_call\":%.1f}\n", n,
	       n ? (t1 - t0) / n : 0.0);
	return 0;
}

static int bench_rpc(unsigned long n, unsigned long size)
{
	unsigned char *in, *out;
	struct fwctl_rpc rpc;
	double t0, t1;
	unsigned long i;

	if (size > MAX_RPC_LEN - MOCK_HDR) {
		fprintf(stderr, "bench-rpc: SIZE must be <= %u\n", MAX_RPC_LEN - MOCK_HDR);
		return 2;
	}
	in = calloc(1, size + MOCK_HDR);
	out = malloc(size ? size : 1);
	if (!in || !out)
		return 1;
	for (i = 0; i < size; i++)
		in[MOCK_HDR + i] = i & 0xff;
	for (i = 0, t0 = now_ns(); i < n; i++) {
		memset(&rpc, 0, sizeof(rpc));
		rpc.size = sizeof(rpc);
		rpc.in_len = size + MOCK_HDR;
		rpc.out_len = size;
		rpc.in = uptr(in);
		rpc.out = uptr(out);
		if (ioctl(fd, FWCTL_RPC, &rpc) < 0) {
			perror("FWCTL_RPC");
			return 1;
		}
	}
	t1 = now_ns();
	if (n && size && memcmp(in + MOCK_HDR, out, size)) {
		fprintf(stderr, "bench-rpc: echo mismatch\n");
		return 1;
	}
	printf("{\"bench\":\"rpc\",\"n\":%lu,\"size\":%lu,\"ns_per_call\":%.1f}\n",
	       n, size, n ? (t1 - t0) / n : 0.0);
	free(in);
	free(out);
	return 0;
}

/* ---- driving the mock by hand (smoke tests, shell-level checks) ---- */

static void print_hex(const unsigned char *p, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n && i < 64; i++)
		printf("%02x", p[i]);
	if (n > 64)
		printf("...");
	putchar('"');
}

/* info LEN: FWCTL_INFO with a LEN-byte buffer (pre-filled with 0xee) */
static int do_info(unsigned long len)
{
	unsigned char *buf = malloc(len ? len : 1);
	struct fwctl_info info;
	unsigned long i;
	int e, pattern = 1;

	if (!buf)
		return 1;
	memset(buf, 0xee, len);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.device_data_len = len;
	info.out_device_data = uptr(buf);
	e = xioctl(FWCTL_INFO, &info);
	/* mock pattern for the driver's bytes, zero fill past them */
	for (i = 0; i < len; i++)
		if (buf[i] != (i < info.device_data_len ? ((i * 31 + 7) & 0xff) : 0))
			pattern = 0;
	printf("{\"errno\":%d,\"name\":\"%s\",\"type\":%u,\"len\":%u,\"pattern\":%s,\"data\":",
	       e, errname(e), info.out_device_type, info.device_data_len,
	       pattern ? "true" : "false");
	print_hex(buf, e ? 0 : len);
	printf("}\n");
	free(buf);
	return 0;
}

static int parse_hex(const char *h, unsigned char *out, size_t max, size_t *n)
{
	unsigned int b;

	for (*n = 0; h[0] && h[1]; h += 2) {
		if (*n >= max || sscanf(h, "%2x", &b) != 1)
			return -1;
		out[(*n)++] = b;
	}
	return *h ? -1 : 0;
}

/*
 * rpc OP ARG OUTLEN [SCOPE [PAYLOADHEX]]: one mock request. Bytes of the
 * out buffer past the copied length stay 0xee. "fill" tells whether the
 * copied bytes match the FILL pattern.
 */
static int do_rpc(unsigned long op, unsigned long arg, unsigned long outlen,
		  unsigned long scope, const char *hex)
{
	unsigned char *in = calloc(1, MOCK_HDR + 4096), *out = malloc(outlen ? outlen : 1);
	struct fwctl_rpc rpc;
	size_t plen = 0, i, copied;
	int e, fill = 1;

	if (!in || !out)
		return 1;
	if (hex && parse_hex(hex, in + MOCK_HDR, 4096, &plen)) {
		fprintf(stderr, "probe: bad PAYLOADHEX\n");
		return 2;
	}
	memset(out, 0xee, outlen);
	in[0] = op; in[1] = op >> 8; in[2] = op >> 16; in[3] = op >> 24;
	in[4] = arg; in[5] = arg >> 8; in[6] = arg >> 16; in[7] = arg >> 24;
	memset(&rpc, 0, sizeof(rpc));
	rpc.size = sizeof(rpc);
	rpc.scope = scope;
	rpc.in_len = MOCK_HDR + plen;
	rpc.out_len = outlen;
	rpc.in = uptr(in);
	rpc.out = uptr(out);
	e = xioctl(FWCTL_RPC, &rpc);
	copied = e ? 0 : (rpc.out_len < outlen ? rpc.out_len : outlen);
	for (i = 0; i < copied; i++)
		if (out[i] != ((i * 13 + 1) & 0xff))
			fill = 0;
	printf("{\"errno\":%d,\"name\":\"%s\",\"out_len\":%u,\"fill\":%s,\"untouched_after\":%s,\"out\":",
	       e, errname(e), e ? 0 : rpc.out_len, fill ? "true" : "false",
	       (copied >= outlen || out[copied] == 0xee) ? "true" : "false");
	print_hex(out, copied);
	printf("}\n");
	free(in);
	free(out);
	return 0;
}

static int ctl_write(const char *ctl, const char *cmd)
{
	int cfd = open(ctl, O_WRONLY | O_CLOEXEC), e = 0;

	if (cfd < 0)
		return errno;
	if (write(cfd, cmd, strlen(cmd)) < 0)
		e = errno;
	close(cfd);
	return e;
}

static double ms_since(double t0)
{
	return (now_ns() - t0) / 1e6;
}

/*
 * unplug CTL [MS]: hot unplug under an open fd. A child runs a mock SLEEP
 * of MS ms (default 0: none) on our fd; then "del <name>" is written to CTL
 * (name = basename of DEVPATH), or, if CTL is "rmmod:MODULE", MODULE is
 * unloaded (delete_module) instead. Reports the in-flight RPC's result, how long
 * del took, then INFO and RPC on the orphaned fd (ENODEV expected) and a
 * re-open of DEVPATH (ENOENT expected).
 */
static int do_unplug(const char *dev, const char *ctl, unsigned long ms)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	int sleep_errno = -1, del_errno, info_e, rpc_e, open_e = 0, pfd[2], status;
	char cmd[64];
	double t0, del_ms;
	pid_t pid = -1;
	struct fwctl_info info;
	struct fwctl_rpc rpc;

	if (ms) {
		if (pipe(pfd))
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			unsigned char req[MOCK_HDR + 4] = { 4 /* SLEEP */ };
			unsigned char out[4];
			char c = 'x';

			req[4] = ms; req[5] = ms >> 8; req[6] = ms >> 16;
			memset(&rpc, 0, sizeof(rpc));
			rpc.size = sizeof(rpc);
			rpc.in_len = sizeof(req);
			rpc.out_len = sizeof(out);
			rpc.in = uptr(req);
			rpc.out = uptr(out);
			if (write(pfd[1], &c, 1) != 1)
				_exit(254);
			_exit(xioctl(FWCTL_RPC, &rpc));
		}
		{
			char c;

			if (read(pfd[0], &c, 1) != 1)
				return 1;
		}
		usleep(100 * 1000); /* let the child enter the ioctl */
	}
	snprintf(cmd, sizeof(cmd), "del %s", name);
	t0 = now_ns();
	if (!strncmp(ctl, "rmmod:", 6))
		del_errno = syscall(SYS_delete_module, ctl + 6, O_NONBLOCK) ? errno : 0;
	else
		del_errno = ctl_write(ctl, cmd);
	del_ms = ms_since(t0);
	if (pid > 0) {
		waitpid(pid, &status, 0);
		sleep_errno = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	}
	info_init(&info);
	info_e = xioctl(FWCTL_INFO, &info);
	rpc_init(&rpc);
	rpc_e = xioctl(FWCTL_RPC, &rpc);
	{
		int nfd = open(dev, O_RDWR | O_CLOEXEC);

		if (nfd < 0)
			open_e = errno;
		else
			close(nfd);
	}
	printf("{\"del_errno\":%d,\"del_ms\":%.1f,\"inflight_sleep_errno\":%d,"
	       "\"info_after\":\"%s\",", del_errno, del_ms, sleep_errno, errname(info_e));
	printf("\"rpc_after\":\"%s\",", errname(rpc_e));
	printf("\"reopen\":\"%s\"}\n", errname(open_e));
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: probe DEVPATH CASE|all|list\n"
		"       probe DEVPATH bench-info N\n"
		"       probe DEVPATH bench-rpc N SIZE\n"
		"       probe DEVPATH info LEN\n"
		"       probe DEVPATH rpc OP ARG OUTLEN [SCOPE [PAYLOADHEX]]\n"
		"       probe DEVPATH unplug CTLPATH|rmmod:MODULE [SLEEP_MS]\n");
	return 2;
}

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || !*s || *end;
}

int main(int argc, char **argv)
{
	unsigned long n, size;
	size_t i;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[2], "list")) {
		for (i = 0; i < NCASES; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}

	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "probe: open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	bad_ptr = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_ptr == MAP_FAILED) {
		perror("mmap");
		return 2;
	}

	if (!strcmp(argv[2], "bench-info")) {
		if (argc != 4 || parse_ul(argv[3], &n))
			return usage();
		return bench_info(n);
	}
	if (!strcmp(argv[2], "bench-rpc")) {
		if (argc != 5 || parse_ul(argv[3], &n) || parse_ul(argv[4], &size))
			return usage();
		return bench_rpc(n, size);
	}
	if (!strcmp(argv[2], "info")) {
		if (argc != 4 || parse_ul(argv[3], &n))
			return usage();
		return do_info(n);
	}
	if (!strcmp(argv[2], "rpc")) {
		unsigned long op, arg, scope = 0;

		if (argc < 6 || argc > 8 || parse_ul(argv[3], &op) ||
		    parse_ul(argv[4], &arg) || parse_ul(argv[5], &n) ||
		    (argc > 6 && parse_ul(argv[6], &scope)))
			return usage();
		return do_rpc(op, arg, n, scope, argc > 7 ? argv[7] : NULL);
	}
	if (!strcmp(argv[2], "unplug")) {
		if (argc < 4 || argc > 5 || (argc == 5 && parse_ul(argv[4], &n)))
			return usage();
		return do_unplug(argv[1], argv[3], argc == 5 ? n : 0);
	}
	if (argc != 3)
		return usage();
	for (i = 0; i < NCASES; i++) {
		if (!strcmp(argv[2], "all") || !strcmp(argv[2], cases[i].name)) {
			run_case(&cases[i]);
			if (strcmp(argv[2], "all"))
				return 0;
		}
	}
	if (strcmp(argv[2], "all")) {
		fprintf(stderr, "probe: unknown case %s\n", argv[2]);
		return 2;
	}
	return 0;
}
