/* svelab real-kernel runner: the only code that touches the FP/SIMD/SVE registers.
 *
 * Snapshot image (see runner.h): [0] RDVL, [8] FPSR, [16] FPCR, [32..544) V0-V31,
 * [544..) Z0-Z31 (32 x VL), P0-P15 (16 x VL/8), FFR (VL/8).
 */
	.arch armv8.2-a+sve
	.text

/* void rz_write(u32 n, const void *src): Zn <- 1 x VL bytes at src */
	.globl rz_write
rz_write:
	adr	x2, 1f
	add	x2, x2, x0, lsl #3
	br	x2
1:
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	z\n, [x1]
	ret
	.endr

/* void rp_write(u32 n, const void *src): Pn <- VL/8 bytes at src */
	.globl rp_write
rp_write:
	adr	x2, 1f
	add	x2, x2, x0, lsl #3
	br	x2
1:
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ldr	p\n, [x1]
	ret
	.endr

/* void rffr_write(const void *src, void *scratch): FFR <- src, P0 preserved via scratch */
	.globl rffr_write
rffr_write:
	str	p0, [x1]
	ldr	p0, [x0]
	wrffr	p0.b
	ldr	p0, [x1]
	ret

/* void rv_write(u32 n, const void *src): Vn <- 16 bytes at src (an AdvSIMD load) */
	.globl rv_write
rv_write:
	adr	x2, 1f
	add	x2, x2, x0, lsl #3
	br	x2
1:
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	q\n, [x1]
	ret
	.endr

	.globl rfpsr_write
rfpsr_write:
	msr	fpsr, x0
	ret

	.globl rfpcr_write
rfpcr_write:
	msr	fpcr, x0
	ret

/* void fp_snapshot(void *img): FPSR, FPCR, V0-V31 (no SVE instruction) */
	.globl fp_snapshot
fp_snapshot:
	mrs	x1, fpsr
	str	x1, [x0, #8]
	mrs	x1, fpcr
	str	x1, [x0, #16]
	add	x1, x0, #32
	stp	q0, q1, [x1, #0]
	stp	q2, q3, [x1, #32]
	stp	q4, q5, [x1, #64]
	stp	q6, q7, [x1, #96]
	stp	q8, q9, [x1, #128]
	stp	q10, q11, [x1, #160]
	stp	q12, q13, [x1, #192]
	stp	q14, q15, [x1, #224]
	stp	q16, q17, [x1, #256]
	stp	q18, q19, [x1, #288]
	stp	q20, q21, [x1, #320]
	stp	q22, q23, [x1, #352]
	stp	q24, q25, [x1, #384]
	stp	q26, q27, [x1, #416]
	stp	q28, q29, [x1, #448]
	stp	q30, q31, [x1, #480]
	ret

/* void sve_snapshot(void *img): everything, starting with an SVE instruction (RDVL) */
	.globl sve_snapshot
sve_snapshot:
	rdvl	x1, #1
	str	x1, [x0]
	mov	x3, x30
	bl	fp_snapshot
	mov	x30, x3
	add	x1, x0, #544
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	z\n, [x1, #\n, mul vl]
	.endr
	addvl	x2, x1, #16
	addvl	x2, x2, #16
	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	str	p\n, [x2, #\n, mul vl]
	.endr
	addvl	x4, x2, #2
	rdffr	p0.b
	str	p0, [x4]
	ldr	p0, [x2]
	ret

/* the signal restorer: rt_sigreturn */
	.globl sig_restorer
sig_restorer:
	mov	x8, #139
	svc	#0

/* entry: x0 = sp (argc, argv...) */
	.globl _start
_start:
	mov	x29, #0
	mov	x30, #0
	mov	x0, sp
	and	sp, x0, #~15
	bl	cstart
1:	b	1b
