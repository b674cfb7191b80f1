/* svelab real-kernel runner: a minimal KVM VMM with an FPSIMD/SVE guest.
 *
 * One VM, one vCPU, one memory slot. The guest (guest.S) is a small EL1 program,
 * MMU off, that executes a queue of register operations ("ops") the VMM appends
 * in guest memory: write some Z/P/FFR/V/FPSR/FPCR registers from an image and
 * snapshot what it can read back, or leave the guest in one of two ways (an exit
 * KVM handles inside the host kernel, or one that returns to the VMM).
 *
 * This header is shared with guest.S: everything C is under !__ASSEMBLER__.
 */
#ifndef SVELAB_KVM_H
#define SVELAB_KVM_H

/*
 * Guest physical memory map. RAM is one slot at GUEST_MEM_BASE; the two MMIO
 * addresses are outside it, so the guest's stores there exit to the VMM.
 */
#define GUEST_MEM_BASE		0x40000000
#define GUEST_MEM_SIZE		0x200000	/* 2 MiB */
#define GUEST_MMIO_IDLE		0x10000000	/* op queue empty */
#define GUEST_MMIO_EXIT		0x10001000	/* GOP_EXIT_USER */

/* Layout of guest RAM (offsets from GUEST_MEM_BASE) */
#define GUEST_CODE_OFF		0x0		/* guest.S, copied here */
#define GUEST_CODE_MAX		0x8000
#define GUEST_CTL_OFF		0x8000		/* control block, below */
#define GUEST_DESC_OFF		0x9000		/* op descriptors, GUEST_DESC_SIZE each */
#define GUEST_DESC_SIZE		64
#define GUEST_IMG_OFF		0x10000		/* per op: write image, then snapshot image */
#define GUEST_IMG_ALIGN		256

/* Control block fields (u64 each, offsets from GUEST_CTL_OFF) */
#define CTL_NR_OPS		0	/* VMM: ops queued */
#define CTL_DONE		8	/* guest: ops completed */
#define CTL_HAS_SVE		16	/* VMM: vCPU has SVE */
#define CTL_P_OFF		24	/* VMM: image offsets at the vCPU's VL */
#define CTL_FFR_OFF		32
#define CTL_V_OFF		40
#define CTL_FPSR_OFF		48
#define CTL_FPCR_OFF		56
#define CTL_GUEST_VL		64	/* guest: its VL in bytes (RDVL), 0 without SVE */
#define CTL_SCRATCH		128	/* guest: P0 save area, 32 bytes (P at VL 256) */

/* Op descriptor fields (offsets within one descriptor) */
#define DESC_KIND		0	/* u32, enum guest_op_kind */
#define DESC_ZMASK		4	/* u32 */
#define DESC_PMASK		8	/* u32 */
#define DESC_VMASK		12	/* u32 */
#define DESC_SET_FPSR		16	/* u32 */
#define DESC_SET_FPCR		20	/* u32 */
#define DESC_FPSR		24	/* u64 */
#define DESC_FPCR		32	/* u64 */
#define DESC_IN			40	/* u64: guest address of the write image */
#define DESC_OUT		48	/* u64: guest address of the snapshot image */
#define DESC_RET		56	/* u64: GOP_EXIT_KERNEL: x0 returned by the HVC */

#define GUEST_MAX_OPS		64
#define GUEST_MAX_VL		256	/* bytes: the architectural maximum */
#define GUEST_PMASK_FFR		(1u << 16)

#ifdef __ASSEMBLER__

#define GOP_SVE			1
#define GOP_FP			2
#define GOP_EXIT_KERNEL		3
#define GOP_EXIT_USER		4

#else /* !__ASSEMBLER__ */

#include "sys.h"

enum guest_op_kind { GOP_SVE = 1, GOP_FP = 2, GOP_EXIT_KERNEL = 3, GOP_EXIT_USER = 4 };

struct guest_op {
	u32 kind;
	u32 zmask;	/* GOP_SVE: Z registers to write (bit n = Zn) */
	u32 pmask;	/* GOP_SVE: P registers to write (bit n = Pn), bit 16 = FFR */
	u32 vmask;	/* GOP_SVE or GOP_FP: V registers to write (bit n = Vn), by a
			 * 128-bit AdvSIMD load, which zeroes Zn above bit 127 */
	u32 set_fpsr, set_fpcr;	/* write FPSR/FPCR when nonzero */
	u64 fpsr, fpcr;
};

/*
 * Register image, at the vCPU's VL in bytes `vl`, packed with no padding:
 *   Z0..Z31   32 * vl
 *   P0..P15   16 * (vl / 8)
 *   FFR       vl / 8
 *   V0..V31   32 * 16
 *   FPSR      u64
 *   FPCR      u64
 * Registers are stored as the SVE/AdvSIMD STR instructions store them (little-endian
 * lane order). An FFR value to write should be monotonic (ones, then zeros): WRFFR
 * leaves FFR UNPREDICTABLE otherwise. A VM without SVE may use vl = 0, which leaves only V, FPSR and FPCR.
 * The V, FPSR and FPCR slots are not naturally aligned for every VL: read them with
 * byte copies.
 */
static inline size_t img_z_off(u32 vl, int n) { return (size_t)n * vl; }
static inline size_t img_p_off(u32 vl, int n) { return 32 * (size_t)vl + (size_t)n * (vl / 8); }
static inline size_t img_ffr_off(u32 vl) { return img_p_off(vl, 16); }
static inline size_t img_v_off(u32 vl, int n) { return img_ffr_off(vl) + vl / 8 + 16 * (size_t)n; }
static inline size_t img_fpsr_off(u32 vl) { return img_v_off(vl, 32); }
static inline size_t img_fpcr_off(u32 vl) { return img_fpsr_off(vl) + 8; }

/* The head of the uapi struct kvm_run, up to the exit union (arm64 layout). */
struct kvm_run {
	u8 request_interrupt_window;
	u8 immediate_exit;
	u8 padding1[6];
	u32 exit_reason;
	u8 ready_for_interrupt_injection;
	u8 if_flag;
	u16 flags;
	u64 cr8;
	u64 apic_base;
	union {
		struct {
			u64 phys_addr;
			u8 data[8];
			u32 len;
			u8 is_write;
		} mmio;
		struct {
			u32 type;
			u32 ndata;
			u64 data[16];
		} system_event;
		struct {
			u32 suberror;
			u32 ndata;
			u64 data[16];
		} internal;
		u8 padding[256];
	};
};

/* exit reasons (KVM_EXIT_*) the runner may see */
#define KVM_EXIT_UNKNOWN	0
#define KVM_EXIT_HYPERCALL	3
#define KVM_EXIT_MMIO		6
#define KVM_EXIT_SHUTDOWN	8
#define KVM_EXIT_FAIL_ENTRY	9
#define KVM_EXIT_INTR		10
#define KVM_EXIT_INTERNAL_ERROR	17
#define KVM_EXIT_SYSTEM_EVENT	24

struct vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;	/* the vCPU's mmap'd kvm_run */
	size_t run_size;
	u8 *mem;		/* guest RAM, GUEST_MEM_SIZE bytes at GUEST_MEM_BASE */
	u32 vl;			/* vector length in bytes (image layout only without SVE) */
	int has_sve;
	int nr_ops;		/* ops queued so far; the next op's index */
	size_t img_stride;	/* bytes between two images in guest RAM */
	u64 last_mmio;		/* guest address of the last KVM_EXIT_MMIO, else 0 */
};

size_t vm_image_size(u32 vl_bytes);

/*
 * Creates the VM and its vCPU. With sve, the vCPU has SVE with maximum vector
 * length vl_bytes (KVM can only cap the VL: the host's shorter VLs stay
 * available, and the guest selects the maximum through ZCR_EL1). Without sve,
 * vl_bytes only sets the image layout (0 allowed). Returns 0 or -errno; on error
 * nothing is left open.
 */
int vm_create(struct vm *vm, int sve, u32 vl_bytes);
void vm_destroy(struct vm *vm);

/* Appends an op; image (vm_image_size() bytes, or NULL for zeroes) is copied. */
int vm_push_op(struct vm *vm, const struct guest_op *op, const u8 *image);

/* One KVM_RUN; returns the exit reason (KVM_EXIT_MMIO when the guest stops at a
 * GOP_EXIT_USER or an empty queue: see vm->last_mmio) or -errno (-EIO when the
 * guest found its VL is not vm->vl, so that its images would be misread). */
s64 vm_run(struct vm *vm);

const u8 *vm_snapshot(struct vm *vm, int op_index);
int vm_ops_done(struct vm *vm);

/* GOP_EXIT_KERNEL: the value the HVC returned in x0 (the PSCI version). */
u64 vm_op_result(struct vm *vm, int op_index);

#endif /* __ASSEMBLER__ */
#endif /* SVELAB_KVM_H */
