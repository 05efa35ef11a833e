/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the fwctl firmware emulators (fwctl_emu_{mlx5,bnxt,pds}.c): the
 * PCI function each one binds (an emulated QEMU test device picked by its
 * address), the knobs, and DMA address -> kernel pointer for the "firmware".
 *
 * Each emulator is a PCI driver for QEMU's "edu" test device (1234:11e8).
 * Several edu functions exist in the VM; module parameter `bdf` names the one
 * this emulator takes (probe answers -ENODEV for the others, so the next
 * emulator's driver gets them); fwctl_emu_mlx5 takes a comma-separated list
 * of up to two (emu_bdf_index()). The auxiliary device the in-tree fwctl driver
 * binds is a child of that PCI function, so /sys/class/fwctl/fwctlN/device is
 * the PCI function, and DMA is mapped against it, as on a real host.
 *
 * Knobs (module parameters, writable at run time in
 * /sys/module/fwctl_emu_<vendor>/parameters/):
 *   latency_ms   each firmware command takes this long (default 0)
 *   fault_errno  non-zero: the core-driver call (mlx5_cmd_do, bnxt_send_msg,
 *                pds_client_adminq_cmd) fails with -fault_errno before the
 *                firmware sees the command, like a dead command channel
 *   fault_count  how many calls fault_errno fails (-1: all, the default;
 *                counts down to 0, then calls succeed again)
 *   commands     read-only: commands the firmware has executed
 *   watch        non-zero: a probe for which commands reach the firmware
 *                (the race tests of test/kernel/suite/race.test.ts). Every
 *                command whose signature equals it counts in watch_hits; the
 *                signature is the emulator's (pds: the first 8 bytes of an
 *                RPC's request payload, little-endian; bnxt: the req_type)
 *   watch_hits   commands that matched `watch` (write 0 to reset)
 *
 * NV configuration knobs, in an emulator that defines EMU_NV before including
 * this file and implements emu_nv_reset() (its NV store back to the fixture):
 * fwctl_emu_mlx5.c (MNVDA and MNVIA writes) and fwctl_emu_bnxt.c
 * (NVM_SET_VARIABLE); test/kernel/emu/emu.ts's nvReset/nvRefuse/nvWrites.
 *   nv_reset     write anything: emu_nv_reset(), nv_writes and nv_refuse to 0
 *   nv_refuse    the next N NV writes that reach the firmware are refused
 *                (the emulator's own firmware error, a constant of it: mlx5
 *                status EMU_NV_REFUSED, bnxt RESOURCE_ACCESS_DENIED; counts down)
 *   nv_writes    read-only: NV writes that reached the firmware (refused ones included)
 * The emulator calls emu_nv_write() for each NV write it receives, before it
 * looks at it: true when it must refuse it.
 */
#ifndef FWCTL_EMU_COMMON_H
#define FWCTL_EMU_COMMON_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/string.h>

#define EMU_PCI_VENDOR	0x1234	/* QEMU "edu" educational device */
#define EMU_PCI_DEVICE	0x11e8

static char *bdf = "";
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "PCI address (e.g. 0000:00:0a.0) of the edu function to emulate on (mlx5: a comma-separated list)");

static unsigned int latency_ms;
module_param(latency_ms, uint, 0644);
MODULE_PARM_DESC(latency_ms, "milliseconds each firmware command takes");

static int fault_errno;
module_param(fault_errno, int, 0644);
MODULE_PARM_DESC(fault_errno, "non-zero: the command channel fails with -fault_errno");

static int fault_count = -1;
module_param(fault_count, int, 0644);
MODULE_PARM_DESC(fault_count, "calls fault_errno fails (-1: all)");

static atomic_t emu_commands = ATOMIC_INIT(0);
static int emu_get_commands(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&emu_commands));
}
static const struct kernel_param_ops emu_commands_ops = { .get = emu_get_commands };
module_param_cb(commands, &emu_commands_ops, NULL, 0444);
MODULE_PARM_DESC(commands, "firmware commands executed");

static DEFINE_SPINLOCK(emu_fault_lock);

static unsigned long long watch;
module_param(watch, ullong, 0644);
MODULE_PARM_DESC(watch, "non-zero: count the commands whose signature equals it");

static unsigned int watch_hits;
module_param(watch_hits, uint, 0644);
MODULE_PARM_DESC(watch_hits, "commands that matched watch");

/* A command's signature, for the watch knob. */
static inline void emu_watch(u64 signature)
{
	u64 w = READ_ONCE(watch);

	if (!w || w != signature)
		return;
	spin_lock(&emu_fault_lock);
	watch_hits++;
	spin_unlock(&emu_fault_lock);
}

#ifdef EMU_NV
static void emu_nv_reset(void);

static int nv_refuse;
module_param(nv_refuse, int, 0644);
MODULE_PARM_DESC(nv_refuse, "the next N NV configuration writes the firmware refuses");

static atomic_t emu_nv_writes = ATOMIC_INIT(0);
static int emu_get_nv_writes(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&emu_nv_writes));
}
static const struct kernel_param_ops emu_nv_writes_ops = { .get = emu_get_nv_writes };
module_param_cb(nv_writes, &emu_nv_writes_ops, NULL, 0444);
MODULE_PARM_DESC(nv_writes, "NV configuration writes that reached the firmware");

static int emu_set_nv_reset(const char *val, const struct kernel_param *kp)
{
	emu_nv_reset();
	atomic_set(&emu_nv_writes, 0);
	WRITE_ONCE(nv_refuse, 0);
	return 0;
}
static const struct kernel_param_ops emu_nv_reset_ops = { .set = emu_set_nv_reset };
module_param_cb(nv_reset, &emu_nv_reset_ops, NULL, 0200);
MODULE_PARM_DESC(nv_reset, "write: the NV configuration back to the fixture, counters to 0");

/* An NV write reached the firmware: counted; true when the firmware refuses it (nv_refuse). */
static bool emu_nv_write(void)
{
	bool refuse = false;

	atomic_inc(&emu_nv_writes);
	spin_lock(&emu_fault_lock);
	if (nv_refuse > 0) {
		nv_refuse--;
		refuse = true;
	}
	spin_unlock(&emu_fault_lock);
	return refuse;
}
#endif

/* The injected channel failure for this call (0: none). */
static int emu_channel_fault(void)
{
	int err = 0;

	spin_lock(&emu_fault_lock);
	if (fault_errno && fault_count != 0) {
		err = -abs(fault_errno);
		if (fault_count > 0)
			fault_count--;
	}
	spin_unlock(&emu_fault_lock);
	return err;
}

/* Called once per command the firmware executes. */
static void emu_firmware_step(void)
{
	unsigned int ms = READ_ONCE(latency_ms);

	atomic_inc(&emu_commands);
	if (ms)
		msleep(ms);
}

/* pdev's position in bdf, a comma-separated list of PCI addresses; -1: not listed. */
static inline int emu_bdf_index(struct pci_dev *pdev)
{
	const char *p = bdf, *name = pci_name(pdev);
	size_t n = strlen(name);
	int i;

	for (i = 0; p && *p; i++) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) == n && !strncmp(p, name, n))
			return i;
		p = *end ? end + 1 : end;
	}
	return -1;
}

static inline bool emu_is_our_function(struct pci_dev *pdev)
{
	return emu_bdf_index(pdev) == 0;
}

/*
 * The firmware's view of host memory: a bus address the driver handed it
 * (dma_alloc_coherent or dma_map_single against the PCI function; without an
 * IOMMU that is the physical address, or a swiotlb bounce slot) as a pointer.
 */
static inline void *emu_dma_ptr(struct pci_dev *pdev, u64 addr)
{
	return phys_to_virt(dma_to_phys(&pdev->dev, (dma_addr_t)addr));
}

static int emu_pci_setup(struct pci_dev *pdev)
{
	int err = pcim_enable_device(pdev);

	if (err)
		return err;
	pci_set_master(pdev);
	return dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
}

static const struct pci_device_id emu_pci_ids[] = {
	{ PCI_DEVICE(EMU_PCI_VENDOR, EMU_PCI_DEVICE) },
	{ }
};

#endif
