/* svelab real-kernel runner: the KVM guest program (see kvm.h).
 *
 * Position-independent EL1 code, copied by the VMM to GUEST_MEM_BASE + GUEST_CODE_OFF
 * and entered there in EL1h with interrupts masked and the MMU off. It executes the
 * op queue in guest RAM, one descriptor after another, and records each op's
 * snapshot image and the count of completed ops.
 *
 * With the MMU off every data access is Device-nGnRnE, where unaligned accesses
 * fault: images are GUEST_IMG_ALIGN aligned, Z/P are accessed at offsets that are
 * multiples of their size, V with byte-element LD1/ST1, and the FPSR/FPCR slots
 * (which may be unaligned) byte by byte.
 *
 * Register use (no stack):
 *   x20  guest RAM base        x21  control block     x22  ops done / current index
 *   x23  current descriptor    x1   write image       x2   snapshot image
 *   x0, x3-x7, x30  scratch (x0-x3 are also clobbered by the HVC)
 */
#include "kvm.h"

#define PSCI_0_2_FN_PSCI_VERSION	0x84000000
#define CPACR_EL1_FPEN			(3 << 20)
#define CPACR_EL1_ZEN			(3 << 16)
#define ZCR_EL1				S3_0_C1_C2_0
#define ZCR_ELX_LEN_MASK		0x1ff

	.arch	armv8.2-a+sve

/* Loads a 32-bit constant. */
	.macro	mov32 xreg, val
	movz	\xreg, #((\val) & 0xffff)
	movk	\xreg, #((\val) >> 16), lsl #16
	.endm

/* Stores x<r> to [x<a>] byte by byte (no alignment needed); x<r> is preserved. */
	.macro	str_u64_bytes r, a
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7
	strb	w\r, [x\a, #\i]
	ror	x\r, x\r, #8
	.endr
	.endm

	.section .rodata.guest, "a"
	.balign	16
	.global	guest_code_start
	.global	guest_code_end
guest_code_start:
	adr	x20, guest_code_start
	sub	x20, x20, #GUEST_CODE_OFF
	add	x21, x20, #GUEST_CTL_OFF

	/* FP/AdvSIMD on, and SVE on with the longest VL the hypervisor allows */
	ldr	x3, [x21, #CTL_HAS_SVE]
	mov	x0, #CPACR_EL1_FPEN
	cbz	x3, 1f
	orr	x0, x0, #CPACR_EL1_ZEN
1:	msr	cpacr_el1, x0
	isb
	cbz	x3, next_op
	mov	x0, #ZCR_ELX_LEN_MASK
	msr	ZCR_EL1, x0
	isb
	rdvl	x0, #1
	str	x0, [x21, #CTL_GUEST_VL]

next_op:
	ldr	x22, [x21, #CTL_DONE]
	ldr	x0, [x21, #CTL_NR_OPS]
	cmp	x22, x0
	b.lo	1f
	/* Queue empty: exit to the VMM, and look again once resumed. */
	mov32	x1, GUEST_MMIO_IDLE
	str	x22, [x1]
	b	next_op

1:	add	x23, x20, #GUEST_DESC_OFF
	add	x23, x23, x22, lsl #6		/* GUEST_DESC_SIZE */
	ldr	x1, [x23, #DESC_IN]
	ldr	x2, [x23, #DESC_OUT]
	ldr	w0, [x23, #DESC_KIND]
	cmp	w0, #GOP_SVE
	b.eq	op_sve
	cmp	w0, #GOP_FP
	b.eq	op_fp
	cmp	w0, #GOP_EXIT_KERNEL
	b.eq	op_exit_kernel
	cmp	w0, #GOP_EXIT_USER
	b.eq	op_exit_user
	/* unknown kinds are refused by vm_push_op(); skip them */

op_done:
	add	x22, x22, #1
	str	x22, [x21, #CTL_DONE]
	b	next_op

/* An exit that KVM handles in the host kernel: PSCI_VERSION, by HVC. */
op_exit_kernel:
	mov32	x0, PSCI_0_2_FN_PSCI_VERSION
	hvc	#0
	str	x0, [x23, #DESC_RET]
	b	op_done

/* An exit to the VMM: an MMIO store. The op counts as done before it. */
op_exit_user:
	add	x22, x22, #1
	str	x22, [x21, #CTL_DONE]
	mov32	x1, GUEST_MMIO_EXIT
	str	x22, [x1]
	b	next_op

op_fp:
	bl	write_fp
	bl	snap_fp
	b	op_done

op_sve:
	/* Z */
	ldr	w4, [x23, #DESC_ZMASK]
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	tbz	w4, #\n, 1f
	ldr	z\n, [x1, #\n, mul vl]
1:
	.endr

	/* P */
	ldr	w4, [x23, #DESC_PMASK]
	ldr	x3, [x21, #CTL_P_OFF]
	add	x3, x1, x3
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	tbz	w4, #\n, 1f
	ldr	p\n, [x3, #\n, mul vl]
1:
	.endr

	/* FFR: WRFFR takes a P register; borrow P0 and put it back. */
	tbz	w4, #16, 1f
	ldr	x5, [x21, #CTL_FFR_OFF]
	add	x5, x1, x5
	add	x6, x21, #CTL_SCRATCH
	str	p0, [x6]
	ldr	p0, [x5]
	wrffr	p0.b
	ldr	p0, [x6]
1:
	bl	write_fp

	/* snapshot Z */
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	str	z\n, [x2, #\n, mul vl]
	.endr

	/* snapshot P */
	ldr	x3, [x21, #CTL_P_OFF]
	add	x3, x2, x3
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	str	p\n, [x3, #\n, mul vl]
	.endr

	/* snapshot FFR through P0, then reload P0 from its snapshot */
	ldr	x5, [x21, #CTL_FFR_OFF]
	add	x5, x2, x5
	rdffr	p0.b
	str	p0, [x5]
	ldr	p0, [x3]

	bl	snap_fp
	b	op_done

/* Writes V (vmask) from the write image at x1, then FPSR and FPCR if asked. */
write_fp:
	ldr	w4, [x23, #DESC_VMASK]
	ldr	x5, [x21, #CTL_V_OFF]
	add	x5, x1, x5
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	tbz	w4, #\n, 1f
	ld1	{v\n\().16b}, [x5]
1:	add	x5, x5, #16
	.endr

	ldr	w4, [x23, #DESC_SET_FPSR]
	cbz	w4, 1f
	ldr	x4, [x23, #DESC_FPSR]
	msr	fpsr, x4
1:	ldr	w4, [x23, #DESC_SET_FPCR]
	cbz	w4, 1f
	ldr	x4, [x23, #DESC_FPCR]
	msr	fpcr, x4
1:	ret

/* Snapshots V, FPSR and FPCR into the image at x2. */
snap_fp:
	ldr	x5, [x21, #CTL_V_OFF]
	add	x5, x2, x5
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	st1	{v\n\().16b}, [x5], #16
	.endr

	ldr	x5, [x21, #CTL_FPSR_OFF]
	add	x5, x2, x5
	mrs	x4, fpsr
	str_u64_bytes 4, 5
	ldr	x5, [x21, #CTL_FPCR_OFF]
	add	x5, x2, x5
	mrs	x4, fpcr
	str_u64_bytes 4, 5
	ret

	.balign	16
guest_code_end:
