/* svelab real-kernel runner: a minimal KVM VMM for the FPSIMD/SVE guest (guest.S).
 *
 * General registers only: the caller observes this process's own FP/SIMD/SVE
 * registers around these calls, so nothing here may touch them.
 */
#include "sys.h"
#include "kvm.h"

#define EIO	5
#define EBADF	9
#define ENOMEM	12
#define EINVAL	22
#define ENOSPC	28
#define ENOSYS	38

/* ioctl encoding (asm-generic/ioctl.h) */
#define _IOC(dir, type, nr, size) \
	(((u64)(dir) << 30) | ((u64)(size) << 16) | ((u64)(type) << 8) | (u64)(nr))
#define _IOC_WRITE	1
#define _IOC_READ	2
#define _IO(type, nr)		_IOC(0, type, nr, 0)
#define _IOW(type, nr, size)	_IOC(_IOC_WRITE, type, nr, size)
#define _IOR(type, nr, size)	_IOC(_IOC_READ, type, nr, size)

/* uapi structures used below */
struct kvm_userspace_memory_region {
	u32 slot;
	u32 flags;
	u64 guest_phys_addr;
	u64 memory_size;
	u64 userspace_addr;
};

struct kvm_one_reg {
	u64 id;
	u64 addr;
};

struct kvm_vcpu_init {
	u32 target;
	u32 features[7];
};

/* linux/kvm.h */
#define KVMIO				0xAE
#define KVM_GET_API_VERSION		_IO(KVMIO, 0x00)
#define KVM_CREATE_VM			_IO(KVMIO, 0x01)
#define KVM_CHECK_EXTENSION		_IO(KVMIO, 0x03)
#define KVM_GET_VCPU_MMAP_SIZE		_IO(KVMIO, 0x04)
#define KVM_CREATE_VCPU			_IO(KVMIO, 0x41)
#define KVM_SET_USER_MEMORY_REGION	_IOW(KVMIO, 0x46, sizeof(struct kvm_userspace_memory_region))
#define KVM_RUN				_IO(KVMIO, 0x80)
#define KVM_GET_ONE_REG			_IOW(KVMIO, 0xab, sizeof(struct kvm_one_reg))
#define KVM_SET_ONE_REG			_IOW(KVMIO, 0xac, sizeof(struct kvm_one_reg))
#define KVM_ARM_VCPU_INIT		_IOW(KVMIO, 0xae, sizeof(struct kvm_vcpu_init))
#define KVM_ARM_PREFERRED_TARGET	_IOR(KVMIO, 0xaf, sizeof(struct kvm_vcpu_init))
#define KVM_ARM_VCPU_FINALIZE		_IOW(KVMIO, 0xc2, sizeof(int))

#define KVM_API_VERSION			12
#define KVM_CAP_ONE_REG			70
#define KVM_CAP_ARM_PSCI_0_2		102
#define KVM_CAP_ARM_SVE			170

/* asm/kvm.h: vCPU features */
#define KVM_ARM_VCPU_PSCI_0_2		2
#define KVM_ARM_VCPU_SVE		4

/* register ids for KVM_{GET,SET}_ONE_REG */
#define KVM_REG_ARM64			0x6000000000000000ULL
#define KVM_REG_SIZE_U64		0x0030000000000000ULL
#define KVM_REG_SIZE_U512		0x0060000000000000ULL
#define KVM_REG_ARM_CORE		(0x0010ULL << 16)
#define KVM_REG_ARM64_SVE		(0x0015ULL << 16)
/* struct kvm_regs { struct user_pt_regs { x[31], sp, pc, pstate } ... }, in u32 units */
#define KVM_REG_CORE(off)		(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | ((off) / 4))
#define KVM_REG_PC			KVM_REG_CORE(32 * 8)
#define KVM_REG_PSTATE			KVM_REG_CORE(33 * 8)
#define KVM_REG_ARM64_SVE_VLS		(KVM_REG_ARM64 | KVM_REG_ARM64_SVE | KVM_REG_SIZE_U512 | 0xffff)
#define SVE_VLS_WORDS			8	/* 512 VQs, one bit each */

/* PSTATE: EL1h with D, A, I and F masked (KVM's reset value) */
#define PSTATE_EL1H_DAIF		0x3c5

extern const u8 guest_code_start[], guest_code_end[];

/* mmap() returns -errno in [-4095, -1] on failure */
static int mmap_failed(const void *p)
{
	return (u64)p >= (u64)-4095;
}

static volatile u64 *ctl(struct vm *vm, int field)
{
	return (volatile u64 *)(vm->mem + GUEST_CTL_OFF + field);
}

static u8 *desc(struct vm *vm, int i)
{
	return vm->mem + GUEST_DESC_OFF + (size_t)i * GUEST_DESC_SIZE;
}

/* Offsets of op i's write image and snapshot image in guest RAM */
static size_t img_in_off(struct vm *vm, int i)
{
	return GUEST_IMG_OFF + (size_t)(2 * i) * vm->img_stride;
}

static size_t img_out_off(struct vm *vm, int i)
{
	return GUEST_IMG_OFF + (size_t)(2 * i + 1) * vm->img_stride;
}

static void put_u32(u8 *p, u32 v)
{
	*(volatile u32 *)p = v;
}

static void put_u64(u8 *p, u64 v)
{
	*(volatile u64 *)p = v;
}

size_t vm_image_size(u32 vl_bytes)
{
	return img_fpcr_off(vl_bytes) + 8;
}

static int set_reg(struct vm *vm, u64 id, const void *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)val };

	return (int)sys_ioctl(vm->vcpu_fd, KVM_SET_ONE_REG, (u64)&reg);
}

static int get_reg(struct vm *vm, u64 id, void *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)val };

	return (int)sys_ioctl(vm->vcpu_fd, KVM_GET_ONE_REG, (u64)&reg);
}

/*
 * Caps the vCPU's SVE vector length at vl bytes. KVM cannot hide a host VL on its
 * own, only set a maximum: the set written must be exactly the host's VLs up to
 * and including the maximum, so that VL must be one the host has.
 */
static int set_sve_max_vl(struct vm *vm, u32 vl)
{
	u64 vls[SVE_VLS_WORDS];
	u32 max_vq = vl / 16, vq;
	int ret;

	ret = get_reg(vm, KVM_REG_ARM64_SVE_VLS, vls);
	if (ret)
		return ret;
	if (!(vls[(max_vq - 1) / 64] & (1UL << ((max_vq - 1) % 64))))
		return -EINVAL;
	for (vq = max_vq + 1; vq <= SVE_VLS_WORDS * 64; vq++)
		vls[(vq - 1) / 64] &= ~(1UL << ((vq - 1) % 64));
	return set_reg(vm, KVM_REG_ARM64_SVE_VLS, vls);
}

static int create_vcpu(struct vm *vm, int sve, u32 vl)
{
	struct kvm_vcpu_init init;
	int feature = KVM_ARM_VCPU_SVE;
	u64 pc = GUEST_MEM_BASE + GUEST_CODE_OFF, pstate = PSTATE_EL1H_DAIF;
	s64 ret;

	ret = sys_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < 0)
		return (int)ret;
	vm->run_size = (size_t)ret;

	ret = sys_ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (ret < 0)
		return (int)ret;
	vm->vcpu_fd = (int)ret;

	vm->run = sys_mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (mmap_failed(vm->run)) {
		ret = (s64)vm->run;
		vm->run = NULL;
		return (int)ret;
	}

	memset(&init, 0, sizeof(init));
	ret = sys_ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, (u64)&init);
	if (ret < 0)
		return (int)ret;
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (sve)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	ret = sys_ioctl(vm->vcpu_fd, KVM_ARM_VCPU_INIT, (u64)&init);
	if (ret < 0)
		return (int)ret;

	if (sve) {
		ret = set_sve_max_vl(vm, vl);
		if (ret < 0)
			return (int)ret;
		ret = sys_ioctl(vm->vcpu_fd, KVM_ARM_VCPU_FINALIZE, (u64)&feature);
		if (ret < 0)
			return (int)ret;
	}

	ret = set_reg(vm, KVM_REG_PC, &pc);
	if (ret < 0)
		return (int)ret;
	return set_reg(vm, KVM_REG_PSTATE, &pstate);
}

/* Copies the guest program and fills the control block. */
static int load_guest(struct vm *vm)
{
	size_t code_size = (size_t)(guest_code_end - guest_code_start);
	u32 vl = vm->vl;

	if (code_size > GUEST_CODE_MAX)
		return -ENOMEM;
	memcpy(vm->mem + GUEST_CODE_OFF, guest_code_start, code_size);

	*ctl(vm, CTL_NR_OPS) = 0;
	*ctl(vm, CTL_DONE) = 0;
	*ctl(vm, CTL_GUEST_VL) = 0;
	*ctl(vm, CTL_HAS_SVE) = (u64)vm->has_sve;
	*ctl(vm, CTL_P_OFF) = img_p_off(vl, 0);
	*ctl(vm, CTL_FFR_OFF) = img_ffr_off(vl);
	*ctl(vm, CTL_V_OFF) = img_v_off(vl, 0);
	*ctl(vm, CTL_FPSR_OFF) = img_fpsr_off(vl);
	*ctl(vm, CTL_FPCR_OFF) = img_fpcr_off(vl);
	return 0;
}

int vm_create(struct vm *vm, int sve, u32 vl_bytes)
{
	struct kvm_userspace_memory_region region;
	s64 ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;

	if (vl_bytes % 16 || vl_bytes > GUEST_MAX_VL || (sve && !vl_bytes))
		return -EINVAL;
	vm->vl = vl_bytes;
	vm->has_sve = !!sve;
	vm->img_stride = (vm_image_size(vl_bytes) + GUEST_IMG_ALIGN - 1) & ~(size_t)(GUEST_IMG_ALIGN - 1);
	if (GUEST_IMG_OFF + 2 * GUEST_MAX_OPS * vm->img_stride > GUEST_MEM_SIZE)
		return -ENOMEM;

	ret = sys_open("/dev/kvm", O_RDWR | O_CLOEXEC, 0);
	if (ret < 0)
		goto fail;
	vm->kvm_fd = (int)ret;

	ret = sys_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret >= 0 && ret != KVM_API_VERSION)
		ret = -ENOSYS;
	if (ret < 0)
		goto fail;
	if (sys_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) <= 0 ||
	    sys_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) <= 0 ||
	    (sve && sys_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SVE) <= 0)) {
		ret = -ENOSYS;
		goto fail;
	}

	ret = sys_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (ret < 0)
		goto fail;
	vm->vm_fd = (int)ret;

	vm->mem = sys_mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmap_failed(vm->mem)) {
		ret = (s64)vm->mem;
		vm->mem = NULL;
		goto fail;
	}
	ret = load_guest(vm);
	if (ret < 0)
		goto fail;

	region.slot = 0;
	region.flags = 0;
	region.guest_phys_addr = GUEST_MEM_BASE;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (u64)vm->mem;
	ret = sys_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, (u64)&region);
	if (ret < 0)
		goto fail;

	ret = create_vcpu(vm, sve, vl_bytes);
	if (ret < 0)
		goto fail;
	return 0;

fail:
	vm_destroy(vm);
	return (int)ret;
}

void vm_destroy(struct vm *vm)
{
	if (vm->run)
		sys_munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		sys_close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		sys_close(vm->vm_fd);
	if (vm->mem)
		sys_munmap(vm->mem, GUEST_MEM_SIZE);
	if (vm->kvm_fd >= 0)
		sys_close(vm->kvm_fd);
	vm->run = NULL;
	vm->mem = NULL;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

int vm_push_op(struct vm *vm, const struct guest_op *op, const u8 *image)
{
	int i = vm->nr_ops;
	size_t size = vm_image_size(vm->vl);
	u8 *d;

	if (!vm->mem)
		return -EBADF;
	if (i >= GUEST_MAX_OPS)
		return -ENOSPC;
	if (op->kind < GOP_SVE || op->kind > GOP_EXIT_USER || (op->kind == GOP_SVE && !vm->has_sve))
		return -EINVAL;

	if (image)
		memcpy(vm->mem + img_in_off(vm, i), image, size);
	else
		memset(vm->mem + img_in_off(vm, i), 0, size);
	memset(vm->mem + img_out_off(vm, i), 0, size);

	d = desc(vm, i);
	put_u32(d + DESC_KIND, op->kind);
	put_u32(d + DESC_ZMASK, op->zmask);
	put_u32(d + DESC_PMASK, op->pmask);
	put_u32(d + DESC_VMASK, op->vmask);
	put_u32(d + DESC_SET_FPSR, op->set_fpsr);
	put_u32(d + DESC_SET_FPCR, op->set_fpcr);
	put_u64(d + DESC_FPSR, op->fpsr);
	put_u64(d + DESC_FPCR, op->fpcr);
	put_u64(d + DESC_IN, GUEST_MEM_BASE + img_in_off(vm, i));
	put_u64(d + DESC_OUT, GUEST_MEM_BASE + img_out_off(vm, i));
	put_u64(d + DESC_RET, 0);

	/* publish last: the guest reads the descriptor only below CTL_NR_OPS */
	vm->nr_ops = i + 1;
	*ctl(vm, CTL_NR_OPS) = (u64)vm->nr_ops;
	return i;
}

s64 vm_run(struct vm *vm)
{
	s64 ret;

	if (vm->vcpu_fd < 0)
		return -EBADF;
	ret = sys_ioctl(vm->vcpu_fd, KVM_RUN, 0);
	if (ret < 0)
		return ret;
	vm->last_mmio = vm->run->exit_reason == KVM_EXIT_MMIO ? vm->run->mmio.phys_addr : 0;
	/* the guest records its VL before it can make any MMIO exit */
	if (vm->run->exit_reason == KVM_EXIT_MMIO && vm->has_sve &&
	    *ctl(vm, CTL_GUEST_VL) != vm->vl)
		return -EIO;
	return vm->run->exit_reason;
}

const u8 *vm_snapshot(struct vm *vm, int op_index)
{
	if (!vm->mem || op_index < 0 || op_index >= vm->nr_ops)
		return NULL;
	return vm->mem + img_out_off(vm, op_index);
}

int vm_ops_done(struct vm *vm)
{
	return vm->mem ? (int)*ctl(vm, CTL_DONE) : 0;
}

u64 vm_op_result(struct vm *vm, int op_index)
{
	if (!vm->mem || op_index < 0 || op_index >= vm->nr_ops)
		return 0;
	return *(volatile u64 *)(desc(vm, op_index) + DESC_RET);
}
