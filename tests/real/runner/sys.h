/* svelab real-kernel runner: freestanding system interface.
 *
 * The runner is built with -nostdlib -ffreestanding -mgeneral-regs-only: between the
 * steps of a scenario no code may touch the FP/SIMD/SVE registers, and libc's string
 * functions do. Everything here is raw syscalls and byte loops.
 */
#ifndef SVELAB_SYS_H
#define SVELAB_SYS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed int s32;
typedef signed long s64;
typedef unsigned long size_t;

#define NULL ((void *)0)

/* arm64 syscall numbers (asm-generic/unistd.h) */
#define __NR_getcwd 17
#define __NR_ioctl 29
#define __NR_mkdirat 34
#define __NR_mount 40
#define __NR_openat 56
#define __NR_close 57
#define __NR_lseek 62
#define __NR_read 63
#define __NR_write 64
#define __NR_exit 93
#define __NR_exit_group 94
#define __NR_futex 98
#define __NR_nanosleep 101
#define __NR_ptrace 117
#define __NR_sched_setscheduler 119
#define __NR_sched_getparam 121
#define __NR_sched_setaffinity 122
#define __NR_sched_yield 124
#define __NR_kill 129
#define __NR_rt_sigaction 134
#define __NR_rt_sigreturn 139
#define __NR_reboot 142
#define __NR_prctl 167
#define __NR_getpid 172
#define __NR_socket 198
#define __NR_bind 200
#define __NR_accept 202
#define __NR_munmap 215
#define __NR_clone 220
#define __NR_sendto 206
#define __NR_execve 221
#define __NR_mmap 222
#define __NR_wait4 260
#define __NR_finit_module 273

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

#define SIGKILL 9
#define SIGUSR1 10
#define SIGUSR2 12
#define SIGCHLD 17
#define SIGSTOP 19

static inline s64 sys6(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e, s64 f)
{
	register s64 x8 __asm__("x8") = n;
	register s64 x0 __asm__("x0") = a;
	register s64 x1 __asm__("x1") = b;
	register s64 x2 __asm__("x2") = c;
	register s64 x3 __asm__("x3") = d;
	register s64 x4 __asm__("x4") = e;
	register s64 x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (s64)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (s64)(a), (s64)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (s64)(a), (s64)(b), (s64)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), (s64)(e), 0)

static inline s64 sys_open(const char *p, int flags, int mode) { return sys4(__NR_openat, AT_FDCWD, p, flags, mode); }
static inline s64 sys_read(int fd, void *b, size_t n) { return sys3(__NR_read, fd, b, n); }
static inline s64 sys_write(int fd, const void *b, size_t n) { return sys3(__NR_write, fd, b, n); }
static inline s64 sys_close(int fd) { return sys1(__NR_close, fd); }
static inline s64 sys_ioctl(int fd, u64 req, u64 arg) { return sys3(__NR_ioctl, fd, req, arg); }
static inline void *sys_mmap(void *a, size_t len, int prot, int flags, int fd, s64 off)
{
	return (void *)sys6(__NR_mmap, (s64)a, (s64)len, prot, flags, fd, off);
}
static inline s64 sys_munmap(void *a, size_t len) { return sys2(__NR_munmap, a, len); }
static inline s64 sys_getpid(void) { return sys0(__NR_getpid); }
static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		sys1(__NR_exit_group, code);
}

/* memory and string helpers, general registers only */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int streq(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* output to the console (fd 1), line-buffered by the caller */
void out(const char *s);
void out_dec(s64 v);
void out_hex_bytes(const u8 *b, size_t n); /* little-endian bytes, printed as-is in order */
void out_nl(void);
__attribute__((noreturn)) void die(const char *what, s64 err);

#endif
