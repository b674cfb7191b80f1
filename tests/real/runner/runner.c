/* svelab real-kernel runner: one generic interpreter for svelab's real programs.
 *
 * It is /init of an initramfs booted under QEMU. For every program listed in
 * /programs/index it runs the steps of /programs/NAME (written by svelab-core's
 * `real::translate`, see core/src/real/) and prints what it observed:
 *
 *   PROGRAM NAME           a program starts
 *   OBS ID TEXT            observation ID (raw: hex bytes or a decimal)
 *   NOFUNC NAME            a function the program counts is not traceable on this kernel
 *   ERR TEXT               the program could not run (the rest of it is skipped)
 *   END NAME               a program ended
 *   RUNNER DONE            every program ran; the machine powers off
 *
 * Each task of a program is a worker process pinned to its CPU (model cpuN is real
 * CPU N+1; the coordinator, this process, stays on CPU 0) with SCHED_FIFO priorities
 * that say which task is current on its CPU (2) and which one is preempted there (1).
 * A worker waits for its turn by spinning at EL0 on shared memory: between the steps
 * of a program it makes no system call and touches no FP/SIMD register, so the only
 * kernel entries are the ones the program asks for. See tests/real/README.md.
 */
#include "sys.h"
#include "kvm.h"

#define MAX_TASKS 8
#define MAX_STEPS 65536
#define MAX_WRITES 65536
#define POOL_SIZE (8u << 20)
#define IMG_MAX (544 + 34 * 256 + 32)
#define FRAME_MAX 8192
#define REGSET_MAX (16 + 34 * 256 + 64)
#define MAX_VMS 2

/* ---- the program ---- */

enum op {
	/* worker steps */
	OP_SVE = 1, OP_FP, OP_GETPID, OP_BLOCK, OP_PRCTL_SET, OP_PRCTL_GET, OP_FORK, OP_EXEC,
	OP_KILL, OP_SIGRETURN, OP_EXIT, OP_READ_NEON, OP_GUEST_PUSH, OP_KVM_RUN, OP_KVM_CREATE,
	/* coordinator steps */
	OP_START, OP_PRIO, OP_WAKE, OP_SLEEPING, OP_AFFINITY, OP_SIGNAL, OP_PT_GET,
	OP_PT_SET_FPR, OP_PT_SET_SVE, OP_DETACH, OP_OBS_REG, OP_OBS_X0, OP_OBS_COUNT,
	OP_OBS_FRAME, OP_OBS_TRACER, OP_OBS_GUEST, OP_OBS_DEPTH, OP_SYSCTL_VL, OP_AWAIT_HANDLER,
};

struct write {
	u8 kind; /* 'z', 'p', 'f' (FFR), 'v', 's' (FPSR), 'c' (FPCR) */
	u8 idx;
	u32 len;
	u32 off; /* into pool */
};

struct step {
	u8 actor; /* task index, or 255: the coordinator */
	u8 op;
	u8 task; /* the task a coordinator step is about */
	u8 reg_kind, reg_idx;
	s64 a, b, c;
	u32 nwrites, write0;
	u32 obs;
	char func[48];
};

#define COORD 255

struct program {
	char name[64];
	u32 nsteps;
	struct step steps[MAX_STEPS];
	u32 nwrites;
	struct write writes[MAX_WRITES];
	u32 pool_len;
	u8 pool[POOL_SIZE];
	char funcs[16][48];
	u32 nfuncs;
};

/* ---- shared memory (a file on the rootfs, so that exec'd workers map it again) ---- */

struct slot {
	volatile s32 pid;
	volatile u32 go;	 /* run steps up to this index (exclusive) */
	volatile u32 done;	 /* steps done up to this index (exclusive) */
	volatile u32 exit_now;	 /* the program is over */
	volatile u32 blockword;	 /* futex word of OP_BLOCK */
	volatile u32 ready;	 /* the worker has its VL, priority and CPU */
	s64 trace_base[16];	 /* calls of each traced function during its set-up */
	volatile u32 depth;	 /* signal handler nesting */
	volatile u32 ret_pending; /* a sigreturn step to complete after rt_sigreturn */
	volatile u32 failed;
	volatile s64 x0;	 /* last syscall result */
	volatile s64 err;
	u8 snap[IMG_MAX];
	u32 frame_len;
	u8 frame[FRAME_MAX]; /* __reserved of the innermost frame at handler entry */
	s32 alg_fd;
	u8 vl_bytes;
};

struct shm {
	u32 magic;
	struct slot t[MAX_TASKS];
	struct program prog;
	struct vm vms[MAX_VMS];
	/*
	 * The guest's snapshot images, copied out of guest RAM by the VMM after each
	 * KVM_RUN: guest RAM is mapped in the VMM's address space only.
	 */
	u32 guest_snaps[MAX_VMS];
	/* the coordinator's progress, for the watchdog: bumped at every step */
	volatile u32 beat, busy, step;
	u8 guest_snap[MAX_VMS][GUEST_MAX_OPS][IMG_MAX];
};

static struct shm *S;
static int me = -1; /* worker: my task index */

/* ---- parsing the program ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static s64 parse_int(const char *s)
{
	s64 v = 0, sign = 1;
	if (*s == '-')
		sign = -1, s++;
	if (s[0] == '0' && s[1] == 'x') {
		for (s += 2; hexval(*s) >= 0; s++)
			v = v * 16 + hexval(*s);
	} else {
		for (; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (*s - '0');
	}
	return v * sign;
}

/* splits a line into space-separated tokens, in place */
static int tokens(char *line, char **tok, int max)
{
	int n = 0;
	while (*line && n < max) {
		while (*line == ' ')
			*line++ = 0;
		if (!*line)
			break;
		tok[n++] = line;
		while (*line && *line != ' ')
			line++;
	}
	while (*line == ' ')
		*line++ = 0;
	return n;
}

static int parse_write(struct program *p, const char *t)
{
	/* z3=HEX p1=HEX ffr=HEX v2=HEX fpsr=INT fpcr=INT */
	struct write *w = &p->writes[p->nwrites];
	const char *v;
	if (p->nwrites >= MAX_WRITES)
		return -1;
	if (t[0] == 'f' && t[1] == 'f' && t[2] == 'r' && t[3] == '=') {
		w->kind = 'f', w->idx = 0, v = t + 4;
	} else if (t[0] == 'f' && t[1] == 'p' && t[2] == 's' && t[3] == 'r') {
		w->kind = 's', w->idx = 0, v = t + 5;
	} else if (t[0] == 'f' && t[1] == 'p' && t[2] == 'c' && t[3] == 'r') {
		w->kind = 'c', w->idx = 0, v = t + 5;
	} else if (t[0] == 'z' || t[0] == 'p' || t[0] == 'v') {
		w->kind = (u8)t[0];
		w->idx = (u8)parse_int(t + 1);
		v = t + 1;
		while (*v && *v != '=')
			v++;
		if (!*v)
			return -1;
		v++;
	} else {
		return -1;
	}
	w->off = p->pool_len;
	w->len = 0;
	if (w->kind == 's' || w->kind == 'c') {
		u64 x = (u64)parse_int(v);
		if (p->pool_len + 8 > POOL_SIZE)
			return -1;
		memcpy(&p->pool[p->pool_len], &x, 8);
		w->len = 8;
	} else {
		/* little-endian bytes, two hex digits each, lowest byte first */
		for (; hexval(v[0]) >= 0 && hexval(v[1]) >= 0; v += 2) {
			if (p->pool_len + w->len >= POOL_SIZE)
				return -1;
			p->pool[p->pool_len + w->len] = (u8)(hexval(v[0]) * 16 + hexval(v[1]));
			w->len++;
		}
	}
	p->pool_len += (w->len + 15) & ~15u;
	p->nwrites++;
	return 0;
}

static const struct {
	const char *name;
	u8 op;
} OPS[] = {
	{ "sve", OP_SVE }, { "fp", OP_FP }, { "getpid", OP_GETPID }, { "block", OP_BLOCK },
	{ "prctl-set-vl", OP_PRCTL_SET }, { "prctl-get-vl", OP_PRCTL_GET }, { "fork", OP_FORK },
	{ "exec", OP_EXEC }, { "kill", OP_KILL }, { "sigreturn", OP_SIGRETURN },
	{ "exit", OP_EXIT }, { "read-neon", OP_READ_NEON }, { "guest-push", OP_GUEST_PUSH },
	{ "kvm-run", OP_KVM_RUN }, { "kvm-create", OP_KVM_CREATE }, { "start", OP_START }, { "prio", OP_PRIO },
	{ "wake", OP_WAKE }, { "sleeping", OP_SLEEPING }, { "affinity", OP_AFFINITY },
	{ "signal", OP_SIGNAL }, { "ptrace-get", OP_PT_GET }, { "ptrace-set-fpr", OP_PT_SET_FPR },
	{ "ptrace-set-sve", OP_PT_SET_SVE }, { "detach", OP_DETACH }, { "obs-reg", OP_OBS_REG },
	{ "obs-x0", OP_OBS_X0 }, { "obs-count", OP_OBS_COUNT }, { "obs-frame", OP_OBS_FRAME },
	{ "obs-tracer", OP_OBS_TRACER }, { "obs-guest", OP_OBS_GUEST },
	{ "obs-depth", OP_OBS_DEPTH }, { "sysctl-default-vl", OP_SYSCTL_VL },
	{ "await-handler", OP_AWAIT_HANDLER },
};

static int actor_of(const char *t)
{
	if (streq(t, "C"))
		return COORD;
	if (t[0] == 'T')
		return (int)parse_int(t + 1);
	return -1;
}

/* Step lines: ACTOR OP ARGS...; see core/src/real/program.rs for the grammar. */
static int parse_program(struct program *p, char *text, size_t len)
{
	char *line = text, *end = text + len;
	p->nsteps = p->nwrites = p->pool_len = p->nfuncs = 0;
	p->name[0] = 0;
	while (line < end) {
		char *nl = line;
		char *tok[80];
		int n;
		while (nl < end && *nl != '\n')
			nl++;
		*nl = 0;
		n = tokens(line, tok, 80);
		line = nl + 1;
		if (n == 0 || tok[0][0] == '#')
			continue;
		if (streq(tok[0], "program") && n >= 2) {
			size_t l = strlen(tok[1]);
			if (l >= sizeof(p->name))
				l = sizeof(p->name) - 1;
			memcpy(p->name, tok[1], l);
			p->name[l] = 0;
			continue;
		}
		if (streq(tok[0], "trace")) {
			for (int i = 1; i < n && p->nfuncs < 16; i++) {
				size_t l = strlen(tok[i]);
				if (l >= 48)
					return -1;
				memcpy(p->funcs[p->nfuncs], tok[i], l + 1);
				p->nfuncs++;
			}
			continue;
		}
		if (n < 2 || p->nsteps >= MAX_STEPS)
			return -1;
		struct step *s = &p->steps[p->nsteps];
		memset(s, 0, sizeof(*s));
		int actor = actor_of(tok[0]);
		if (actor < 0 || (actor != COORD && actor >= MAX_TASKS))
			return -1;
		s->actor = (u8)actor;
		s->op = 0;
		for (u32 i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++)
			if (streq(tok[1], OPS[i].name))
				s->op = OPS[i].op;
		if (!s->op)
			return -1;
		s->write0 = p->nwrites;
		/* remaining tokens: key=value arguments and register writes */
		for (int i = 2; i < n; i++) {
			char *t = tok[i];
			if (t[0] == 'T' && hexval(t[1]) >= 0) {
				s->task = (u8)parse_int(t + 1);
			} else if (t[0] == 'a' && t[1] == '=') {
				s->a = parse_int(t + 2);
			} else if (t[0] == 'b' && t[1] == '=') {
				s->b = parse_int(t + 2);
			} else if (t[0] == 'c' && t[1] == '=') {
				s->c = parse_int(t + 2);
			} else if (t[0] == 'o' && t[1] == '=') {
				s->obs = (u32)parse_int(t + 2);
			} else if (t[0] == 'r' && t[1] == '=') {
				/* a register to observe: z3, p1, ffr, v2, fpsr, fpcr, vl */
				s->reg_kind = (u8)t[2];
				if (t[2] == 'f' && t[3] == 'f')
					s->reg_kind = 'f';
				else if (t[2] == 'f' && t[4] == 's')
					s->reg_kind = 's';
				else if (t[2] == 'f' && t[4] == 'c')
					s->reg_kind = 'c';
				else if (t[2] == 'v' && t[3] == 'l')
					s->reg_kind = 'l';
				else
					s->reg_idx = (u8)parse_int(t + 3);
			} else if (t[0] == 'f' && t[1] == '=') {
				size_t l = strlen(t + 2);
				if (l >= sizeof(s->func))
					return -1;
				memcpy(s->func, t + 2, l + 1);
			} else if (parse_write(p, t) == 0) {
				s->nwrites++;
			} else {
				return -1;
			}
		}
		p->nsteps++;
	}
	return 0;
}

/* ---- system calls the runner needs beyond sys.h ---- */

struct timespec {
	s64 sec, nsec;
};

static void sleep_us(s64 us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	sys2(__NR_nanosleep, &ts, 0);
}

static s64 set_fifo(int pid, int prio)
{
	s32 param = prio;
	return sys3(__NR_sched_setscheduler, pid, 1 /* SCHED_FIFO */, &param);
}

static s64 set_cpu(int pid, int cpu)
{
	u64 mask = 1ul << cpu;
	return sys3(__NR_sched_setaffinity, pid, sizeof(mask), &mask);
}

static s64 futex(volatile u32 *w, int op, u32 val)
{
	return sys6(__NR_futex, (s64)w, op, val, 0, 0, 0);
}

static s64 write_file(const char *path, const char *text)
{
	s64 fd = sys_open(path, O_WRONLY | O_TRUNC, 0), r;
	if (fd < 0)
		return fd;
	r = sys_write((int)fd, text, strlen(text));
	sys_close((int)fd);
	return r < 0 ? r : 0;
}

/* reads a whole file into buf (NUL-terminated); returns its length or -errno */
static s64 read_file(const char *path, char *buf, size_t max)
{
	s64 fd = sys_open(path, O_RDONLY, 0), n = 0, r;
	if (fd < 0)
		return fd;
	while ((size_t)n + 1 < max && (r = sys_read((int)fd, buf + n, max - 1 - (size_t)n)) > 0)
		n += r;
	sys_close((int)fd);
	buf[n] = 0;
	return n;
}

/* abi.sve_default_vector_length: the boot value, restored after a program changed it */
#define SYSCTL_DEFAULT_VL "/proc/sys/abi/sve_default_vector_length"
static char default_vl_at_boot[32];
static int default_vl_changed;

static s64 set_default_vl(s64 bytes)
{
	char text[24], *e = text + sizeof(text) - 1;
	u64 v = (u64)(bytes < 0 ? -bytes : bytes);
	*e = 0;
	do
		*--e = (char)('0' + v % 10);
	while ((v /= 10) && e > text + 1);
	if (bytes < 0)
		*--e = '-';
	if (!default_vl_changed && read_file(SYSCTL_DEFAULT_VL, default_vl_at_boot,
					     sizeof(default_vl_at_boot)) < 0)
		return -2;
	default_vl_changed = 1;
	return write_file(SYSCTL_DEFAULT_VL, e);
}

static void restore_default_vl(void)
{
	if (default_vl_changed)
		write_file(SYSCTL_DEFAULT_VL, default_vl_at_boot);
	default_vl_changed = 0;
}

/* ---- the worker: runs its steps at EL0 ---- */

void rz_write(u32 n, const void *src);
void rp_write(u32 n, const void *src);
void rffr_write(const void *src, void *scratch);
void rv_write(u32 n, const void *src);
void rfpsr_write(u64 v);
void rfpcr_write(u64 v);
void fp_snapshot(void *img);
void sve_snapshot(void *img);
void sig_restorer(void);

static void do_writes(const struct step *s)
{
	struct program *p = &S->prog;
	static u8 scratch[256] __attribute__((aligned(16)));
	for (u32 i = 0; i < s->nwrites; i++) {
		const struct write *w = &p->writes[s->write0 + i];
		const u8 *v = &p->pool[w->off];
		u64 x;
		switch (w->kind) {
		case 'z':
			rz_write(w->idx, v);
			break;
		case 'p':
			rp_write(w->idx, v);
			break;
		case 'f':
			rffr_write(v, scratch);
			break;
		case 'v':
			rv_write(w->idx, v);
			break;
		case 's':
			memcpy(&x, v, 8);
			rfpsr_write(x);
			break;
		case 'c':
			memcpy(&x, v, 8);
			rfpcr_write(x);
			break;
		}
	}
}

static void worker_loop(u32 from);

/* frame records */
#define FPSIMD_MAGIC 0x46508001
#define SVE_MAGIC 0x53564501
#define EXTRA_MAGIC 0x45585401

static u8 *frame_reserved(void *uc)
{
	return (u8 *)uc + 176 + 288; /* uc_mcontext + offsetof(sigcontext, __reserved) */
}

static u32 rec_magic(const u8 *r) { u32 m; memcpy(&m, r, 4); return m; }
static u32 rec_size(const u8 *r) { u32 m; memcpy(&m, r + 4, 4); return m; }

/* length of the records up to and including the terminator */
static u32 frame_records_len(const u8 *res)
{
	u32 off = 0;
	while (off + 8 <= 4096) {
		u32 m = rec_magic(res + off), sz = rec_size(res + off);
		if (m == 0 && sz == 0)
			return off + 16;
		if (sz < 8)
			return off + 8;
		off += sz;
	}
	return 4096;
}

/* where the worker loop is: a handler runs the loop, nested, from there */
static volatile u32 cur_step;

static void edit_frame(u8 *res, s64 edit)
{
	u32 off = 0;
	u32 total = frame_records_len(res);
	while (off + 8 <= total) {
		u32 m = rec_magic(res + off), sz = rec_size(res + off);
		if (m == 0 || sz < 8)
			break;
		if (m == SVE_MAGIC && edit == 1) { /* no-sve: drop the record */
			memmove(res + off, res + off + sz, total - off - sz);
			return;
		}
		if (m == SVE_MAGIC && edit == 2 && sz > 16) { /* header-only */
			u32 keep = 16;
			memmove(res + off + keep, res + off + sz, total - off - sz);
			memcpy(res + off + 4, &keep, 4);
			return;
		}
		if (m == FPSIMD_MAGIC && edit == 3) { /* no-fpsimd */
			memmove(res + off, res + off + sz, total - off - sz);
			return;
		}
		off += sz;
	}
}

static void handler(int sig, void *info, void *uc)
{
	struct slot *t = &S->t[me];
	u8 *res = frame_reserved(uc);
	(void)sig, (void)info;
	t->frame_len = frame_records_len(res);
	memcpy(t->frame, res, t->frame_len);
	t->depth++;
	worker_loop(cur_step);
	/* a sigreturn step ended the nested loop: edit and return to the restorer */
	edit_frame(res, S->prog.steps[t->ret_pending - 1].a);
	t->depth--;
}

struct ksigaction {
	void *handler;
	u64 flags;
	void *restorer;
	u64 mask;
};

static void install_handlers(void)
{
	struct ksigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.handler = (void *)handler;
	sa.flags = 4 /* SA_SIGINFO */ | 0x04000000 /* SA_RESTORER */ | 0x40000000 /* SA_NODEFER */;
	sa.restorer = (void *)sig_restorer;
	sys4(__NR_rt_sigaction, SIGUSR1, &sa, 0, 8);
	sys4(__NR_rt_sigaction, SIGUSR2, &sa, 0, 8);
}

static void open_alg(struct slot *t)
{
	struct {
		u16 family;
		u8 type[14];
		u32 feat, mask;
		u8 name[64];
	} sa;
	s64 fd, op;
	memset(&sa, 0, sizeof(sa));
	sa.family = 38; /* AF_ALG */
	memcpy(sa.type, "hash", 5);
	memcpy(sa.name, "sha256", 7);
	t->alg_fd = -1;
	fd = sys3(__NR_socket, 38, 5 /* SOCK_SEQPACKET */, 0);
	if (fd < 0)
		return;
	if (sys3(__NR_bind, fd, &sa, sizeof(sa)) < 0)
		return;
	op = sys3(__NR_accept, fd, 0, 0);
	t->alg_fd = (s32)op;
}

/*
 * One SHA-256 block, aligned so that it never straddles a page: the arm64 SHA-256
 * transform (sha2-ce) may stop between blocks when a reschedule is pending (cond_yield),
 * and the glue then calls kernel_neon_begin() again for the rest, so a longer write
 * counts one call or more depending on timing. After its only block the transform
 * returns without checking, so one write is exactly one kernel_neon_begin().
 */
static u8 neon_buf[64] __attribute__((aligned(64)));

static void worker_exec_self(u32 next);

/* Runs one worker step. Returns 1 when the nested loop of a handler must end. */
static int run_step(u32 i)
{
	struct step *s = &S->prog.steps[i];
	struct slot *t = &S->t[me];
	switch (s->op) {
	case OP_SVE:
		do_writes(s);
		sve_snapshot(t->snap);
		break;
	case OP_FP:
		do_writes(s);
		fp_snapshot(t->snap);
		break;
	case OP_GETPID:
		t->x0 = sys0(__NR_getpid);
		break;
	case OP_BLOCK:
		t->blockword = 0;
		t->done = i + 1;
		while (t->blockword == 0)
			futex(&t->blockword, FUTEX_WAIT, 0);
		t->x0 = 0;
		return 0;
	case OP_PRCTL_SET:
		t->x0 = sys2(__NR_prctl, 50 /* PR_SVE_SET_VL */, s->a);
		break;
	case OP_PRCTL_GET:
		t->x0 = sys1(__NR_prctl, 51 /* PR_SVE_GET_VL */);
		break;
	case OP_FORK: {
		s64 r = sys5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
		if (r == 0) {
			me = s->task;
			S->t[me].done = i + 1;
			S->t[me].x0 = 0;
			worker_loop(i + 1);
			sys_exit(0);
		}
		S->t[s->task].pid = (s32)r;
		t->x0 = r;
		break;
	}
	case OP_EXEC:
		t->done = i + 1;
		worker_exec_self(i + 1);
		t->failed = 1;
		break;
	case OP_KILL:
		t->x0 = sys2(__NR_kill, S->t[s->task].pid, s->a);
		break;
	case OP_SIGRETURN:
		if (t->depth == 0) {
			t->failed = 2;
			break;
		}
		t->ret_pending = i + 1;
		return 1;
	case OP_EXIT:
		t->done = i + 1;
		sys_exit(0);
	case OP_READ_NEON:
		/* MSG_MORE: one hash update of one block, no final: one kernel_neon_begin() */
		t->x0 = t->alg_fd < 0 ? -97 : sys6(__NR_sendto, t->alg_fd, (s64)neon_buf, sizeof(neon_buf), 0x8000 /* MSG_MORE */, 0, 0);
		break;
	case OP_GUEST_PUSH: {
		static u8 img[IMG_MAX] __attribute__((aligned(16)));
		struct guest_op g;
		struct vm *vm = &S->vms[s->task];
		struct program *p = &S->prog;
		memset(&g, 0, sizeof(g));
		memset(img, 0, sizeof(img));
		g.kind = (u32)s->a;
		/* the image: Z (32 x VL), P (16 x VL/8), FFR, V (32 x 16) */
		for (u32 k = 0; k < s->nwrites; k++) {
			const struct write *w = &p->writes[s->write0 + k];
			u32 vl = vm->vl, o;
			switch (w->kind) {
			case 'z': g.zmask |= 1u << w->idx; o = w->idx * vl; break;
			case 'p': g.pmask |= 1u << w->idx; o = 32 * vl + w->idx * (vl / 8); break;
			case 'f': g.pmask |= 1u << 16; o = 32 * vl + 16 * (vl / 8); break;
			case 'v': g.vmask |= 1u << w->idx; o = 32 * vl + 17 * (vl / 8) + 16 * w->idx; break;
			case 's': g.set_fpsr = 1; memcpy(&g.fpsr, &p->pool[w->off], 8); continue;
			default: g.set_fpcr = 1; memcpy(&g.fpcr, &p->pool[w->off], 8); continue;
			}
			memcpy(img + o, &p->pool[w->off], w->len);
		}
		t->x0 = vm_push_op(vm, &g, img);
		break;
	}
	case OP_KVM_RUN:
		t->x0 = vm_run(&S->vms[s->task]);
		{
			struct vm *vm = &S->vms[s->task];
			int done = vm_ops_done(vm);
			size_t size = vm_image_size(vm->vl);
			for (int k = 0; k < done && k < GUEST_MAX_OPS && size <= IMG_MAX; k++)
				memcpy(S->guest_snap[s->task][k], vm_snapshot(vm, k), size);
			S->guest_snaps[s->task] = (u32)done;
		}
		break;
	case OP_KVM_CREATE:
		t->x0 = vm_create(&S->vms[s->task], (int)s->a, (u32)s->b);
		if (t->x0 < 0)
			t->failed = 4;
		break;
	default:
		t->failed = 3;
	}
	t->done = i + 1;
	return 0;
}

/* Spins at EL0 for steps of this task, from step `from`; general registers only. */
static void worker_loop(u32 from)
{
	struct slot *t = &S->t[me];
	u32 i = from, my_depth = t->depth;
	for (;;) {
		cur_step = i;
		if (t->exit_now)
			sys_exit(0);
		if (t->ret_pending && t->depth == my_depth) {
			/* back from rt_sigreturn: the sigreturn step is complete */
			t->done = t->ret_pending;
			i = t->ret_pending;
			t->ret_pending = 0;
		}
		if (i < t->go) {
			struct step *s = &S->prog.steps[i];
			if (s->actor != me) {
				i++;
				continue;
			}
			if (run_step(i))
				return;
			i++;
			continue;
		}
		__asm__ volatile("yield" ::: "memory");
	}
}

static const char *SHM_PATH = "/svelab.shm";

static void map_shm(int create)
{
	s64 fd = sys_open(SHM_PATH, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0)
		die("open shm", fd);
	if (create) {
		/* extend the file to the size of struct shm */
		sys3(__NR_lseek, fd, sizeof(struct shm) - 1, 0);
		sys_write((int)fd, "", 1);
	}
	S = sys_mmap(0, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (S == MAP_FAILED)
		die("mmap shm", (s64)S);
	sys_close((int)fd);
}

static void fmt_u(char *b, u64 v)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*b++ = t[--n];
	*b = 0;
}

static void worker_exec_self(u32 next)
{
	char idx[24], nxt[24];
	char *argv[] = { "/init", "worker", idx, nxt, 0 };
	char *envp[] = { 0 };
	fmt_u(idx, (u64)me);
	fmt_u(nxt, next);
	sys3(__NR_execve, "/init", argv, envp);
}

/* a worker after exec: map the shared memory again and continue at step `next` */
static void worker_after_exec(int idx, u32 next)
{
	map_shm(0);
	me = idx;
	install_handlers();
	worker_loop(next);
	sys_exit(0);
}

/* ---- the coordinator ---- */

static u8 regset[REGSET_MAX] __attribute__((aligned(16)));
static s64 regset_len;
static int traced[MAX_TASKS];

static int wait_done(int task, u32 upto, s64 timeout_ms)
{
	struct slot *t = &S->t[task];
	for (s64 waited = 0; t->done < upto; waited++) {
		if (t->failed)
			return -(int)t->failed;
		if (waited > timeout_ms * 10)
			return -110;
		sleep_us(100);
	}
	return 0;
}

/* /proc/PID/stat's state letter */
static char proc_state(int pid)
{
	char path[40] = "/proc/", buf[512];
	fmt_u(path + 6, (u64)pid);
	memcpy(path + strlen(path), "/stat", 6);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return '?';
	for (int i = 0; buf[i]; i++)
		if (buf[i] == ')' && buf[i + 1] == ' ')
			return buf[i + 2];
	return '?';
}

static void detach(int task)
{
	if (traced[task]) {
		sys4(__NR_ptrace, 17 /* PTRACE_DETACH */, S->t[task].pid, 0, 0);
		traced[task] = 0;
	}
}

static s64 stop_tracee(int task)
{
	int pid = S->t[task].pid;
	s32 status;
	s64 r;
	if (traced[task])
		return 0;
	r = sys4(__NR_ptrace, 0x4206 /* PTRACE_SEIZE */, pid, 0, 0);
	if (r < 0)
		return r;
	r = sys4(__NR_ptrace, 0x4207 /* PTRACE_INTERRUPT */, pid, 0, 0);
	if (r < 0)
		return r;
	/*
	 * The tracee enters the stop on its way back to user space, so it has to run. A
	 * task preempted at EL0 by a spinning higher-priority task never does: lift it
	 * above every worker until it has stopped, then give it its priority back. It
	 * runs only in the kernel (ptrace_stop), so its FP state stays as saved when it
	 * was preempted, and the task it preempts keeps its registers on the CPU.
	 */
	for (int k = 0; k < 100; k++) {
		r = sys4(__NR_wait4, pid, &status, 0x40000000 /* __WALL */ | 1 /* WNOHANG */, 0);
		if (r != 0)
			break;
		sleep_us(100);
	}
	if (r == 0) {
		s32 param = 0;
		s64 g = sys2(__NR_sched_getparam, pid, &param);
		set_fifo(pid, 3);
		r = sys4(__NR_wait4, pid, &status, 0x40000000 /* __WALL */, 0);
		if (g == 0)
			set_fifo(pid, param);
	}
	if (r < 0)
		return r;
	traced[task] = 1;
	return 0;
}

struct iovec {
	void *base;
	u64 len;
};

static s64 regset_get(int task, s64 nt)
{
	struct iovec iov = { regset, sizeof(regset) };
	s64 r = sys4(__NR_ptrace, 0x4204 /* PTRACE_GETREGSET */, S->t[task].pid, nt, &iov);
	regset_len = r < 0 ? 0 : (s64)iov.len;
	return r;
}

static s64 regset_set(int task, s64 nt, void *buf, u64 len)
{
	struct iovec iov = { buf, len };
	return sys4(__NR_ptrace, 0x4205 /* PTRACE_SETREGSET */, S->t[task].pid, nt, &iov);
}

/*
 * PTRACE_SETREGSET NT_ARM_SVE as a debugger does it: read the current state, edit it,
 * write it back. a = header.vl (bytes), b = header.flags, c = payload:
 *   0  header only (16 bytes: "change the VL/flags only")
 *   1  FPSIMD: NT_PRFPREG as read, then the V/FPSR/FPCR writes
 *   2  SVE: NT_ARM_SVE as read, laid out at the new VL (only the low 128 bits of each Z
 *      survive a VL change; an FPSIMD-format read gives V), then the writes
 *   3  as 2, but the payload ends after the last Z register written
 * Layouts: uapi asm/ptrace.h (SVE_PT_*) and asm/sigcontext.h (__SVE_*).
 */
static u8 sve_payload[16 + REGSET_MAX] __attribute__((aligned(16)));

static s64 pt_set_sve(const struct step *s)
{
	const struct program *p = &S->prog;
	u32 vl = (u32)s->a;
	u32 z_off = 16, p_off = z_off + 32 * vl, ffr_off = p_off + 16 * (vl / 8);
	/* FPSR and FPCR, padded: a regset's size is a multiple of SVE_VQ_BYTES (16) */
	u32 fpsr_off = (ffr_off + vl / 8 + 15) & ~15u, end = fpsr_off + 16, len;
	u16 hdr[8];
	s64 r;

	if (vl % 16 || vl == 0 || end > sizeof(sve_payload))
		return -22;
	memset(sve_payload, 0, sizeof(sve_payload));
	if (s->c == 0) {
		len = 16;
	} else if (s->c == 1) {
		r = regset_get(s->task, 2 /* NT_PRFPREG */);
		if (r < 0)
			return r;
		memcpy(sve_payload + 16, regset, 528);
		for (u32 k = 0; k < s->nwrites; k++) {
			const struct write *w = &p->writes[s->write0 + k];
			if (w->kind == 'v')
				memcpy(sve_payload + 16 + 16 * w->idx, &p->pool[w->off], 16);
			else if (w->kind == 's')
				memcpy(sve_payload + 16 + 512, &p->pool[w->off], 4);
			else if (w->kind == 'c')
				memcpy(sve_payload + 16 + 516, &p->pool[w->off], 4);
		}
		len = 16 + 528;
	} else {
		u32 rvl, rflags;
		r = regset_get(s->task, 0x405 /* NT_ARM_SVE */);
		if (r < 0 || regset_len < 16)
			return r < 0 ? r : -5;
		rvl = (u32)regset[8] | (u32)regset[9] << 8;
		rflags = (u32)regset[12] | (u32)regset[13] << 8;
		if (rflags & 1) { /* SVE_PT_REGS_SVE */
			u32 rp = 16 + 32 * rvl, rf = rp + 16 * (rvl / 8);
			u32 rfpsr = (rf + rvl / 8 + 15) & ~15u;
			for (u32 n = 0; n < 32; n++)
				memcpy(sve_payload + z_off + n * vl, regset + 16 + n * rvl,
				       rvl == vl ? vl : 16);
			if (rvl == vl)
				memcpy(sve_payload + p_off, regset + rp, 17 * (vl / 8));
			memcpy(sve_payload + fpsr_off, regset + rfpsr, 8);
		} else {
			for (u32 n = 0; n < 32; n++)
				memcpy(sve_payload + z_off + n * vl, regset + 16 + 16 * n, 16);
			memcpy(sve_payload + fpsr_off, regset + 16 + 512, 8);
		}
		len = s->c == 3 ? 16 : end;
		for (u32 k = 0, last = 0; k < s->nwrites; k++) {
			const struct write *w = &p->writes[s->write0 + k];
			u32 o;
			switch (w->kind) {
			case 'z': o = z_off + w->idx * vl; break;
			case 'p': o = p_off + w->idx * (vl / 8); break;
			case 'f': o = ffr_off; break;
			case 'v': o = z_off + w->idx * vl; break;
			case 's': o = fpsr_off; break;
			default: o = fpsr_off + 4; break;
			}
			memcpy(sve_payload + o, &p->pool[w->off], w->len);
			if (s->c == 3 && w->kind == 'z' && z_off + (w->idx + 1) * vl > last)
				len = last = z_off + (w->idx + 1) * vl;
		}
	}
	/* struct user_sve_header: size, max_size, vl, max_vl, flags, reserved */
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = (u16)len;
	hdr[1] = (u16)(len >> 16);
	hdr[4] = (u16)vl;
	hdr[6] = (u16)s->b;
	memcpy(sve_payload, hdr, 16);
	return regset_set(s->task, 0x405 /* NT_ARM_SVE */, sve_payload, len);
}

/* ftrace: counting calls of kernel functions */
static char *trace_buf;
#define TRACE_BUF (32u << 20)

static int func_traceable(const char *name)
{
	static char *avail;
	static s64 avail_len;
	size_t l = strlen(name);
	if (!avail) {
		avail = sys_mmap(0, 8u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		avail_len = read_file("/sys/kernel/tracing/available_filter_functions", avail, 8u << 20);
		if (avail_len < 0)
			avail_len = 0;
	}
	for (s64 i = 0; i + (s64)l <= avail_len; i++) {
		if ((i == 0 || avail[i - 1] == '\n') && memcmp(avail + i, name, l) == 0 &&
		    (avail[i + l] == '\n' || avail[i + l] == ' ' || avail[i + l] == 0))
			return 1;
	}
	return 0;
}

static void trace_begin(struct program *p)
{
	static char got[4096];
	s64 fd;
	int any = 0, filtered = 0;
	write_file("/sys/kernel/tracing/tracing_on", "0");
	write_file("/sys/kernel/tracing/current_tracer", "nop");
	write_file("/sys/kernel/tracing/buffer_size_kb", "8192");
	/* one name per write(): the filter file takes one token per call */
	fd = sys_open("/sys/kernel/tracing/set_ftrace_filter", O_WRONLY | O_TRUNC, 0);
	for (u32 i = 0; fd >= 0 && i < p->nfuncs; i++) {
		/* an unknown name would be refused only at close, leaving the filter empty
		 * and the tracer counting every function: check it first */
		if (!func_traceable(p->funcs[i]))
			continue;
		{
			/* the filter file takes one token per write(): one name and its newline */
			char name[64];
			size_t l = strlen(p->funcs[i]);
			memcpy(name, p->funcs[i], l);
			name[l] = '\n';
			sys_write((int)fd, name, l + 1);
		}
		any = 1;
	}
	if (fd >= 0)
		sys_close((int)fd);
	/* what the filter really holds */
	read_file("/sys/kernel/tracing/set_ftrace_filter", got, sizeof(got));
	for (u32 i = 0; i < p->nfuncs; i++) {
		size_t l = strlen(p->funcs[i]);
		int found = 0;
		for (char *c = got; *c; c++)
			if ((c == got || c[-1] == '\n') && memcmp(c, p->funcs[i], l) == 0 &&
			    (c[l] == '\n' || c[l] == ' ' || c[l] == 0))
				found = 1;
		if (!found) {
			out("NOFUNC ");
			out(p->funcs[i]);
			out_nl();
		}
		filtered += found;
	}
	/* an empty filter would trace every function: never enable the tracer then */
	if (!any || !filtered)
		return;
	write_file("/sys/kernel/tracing/trace", "");
	write_file("/sys/kernel/tracing/current_tracer", "function");
	write_file("/sys/kernel/tracing/tracing_on", "1");
}

static void trace_end(void)
{
	write_file("/sys/kernel/tracing/tracing_on", "0");
	write_file("/sys/kernel/tracing/current_tracer", "nop");
	write_file("/sys/kernel/tracing/set_ftrace_filter", "");
}

/* counts trace lines of `func` (by `pid`, or everyone when pid < 0) */
static s64 trace_count(const char *func, int pid)
{
	s64 len, count = 0;
	size_t fl = strlen(func);
	if (!trace_buf)
		trace_buf = sys_mmap(0, TRACE_BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	len = read_file("/sys/kernel/tracing/trace", trace_buf, TRACE_BUF);
	if (len < 0)
		return len;
	for (s64 i = 0; i < len;) {
		s64 e = i;
		while (e < len && trace_buf[e] != '\n')
			e++;
		if (trace_buf[i] != '#') {
			/* "  comm-PID  [CPU] flags  TIME: func <-parent" */
			s64 br = i, colon, p;
			while (br < e && trace_buf[br] != '[')
				br++;
			p = br - 1;
			while (p > i && trace_buf[p] == ' ')
				p--;
			s64 digits_end = p + 1;
			while (p > i && trace_buf[p] >= '0' && trace_buf[p] <= '9')
				p--;
			s64 line_pid = parse_int(trace_buf + p + 1);
			(void)digits_end;
			colon = br;
			while (colon + 1 < e && !(trace_buf[colon] == ':' && trace_buf[colon + 1] == ' '))
				colon++;
			colon += 2;
			if (colon + (s64)fl <= e && memcmp(trace_buf + colon, func, fl) == 0 &&
			    (colon + (s64)fl == e || trace_buf[colon + fl] == ' ') &&
			    (pid < 0 || line_pid == pid))
				count++;
		}
		i = e + 1;
	}
	return count;
}

static void obs_head(u32 id)
{
	out("OBS ");
	out_dec(id);
	out(" ");
}

static void obs_reg(struct step *s)
{
	struct slot *t = &S->t[s->task];
	u64 vl;
	memcpy(&vl, t->snap, 8);
	obs_head(s->obs);
	switch (s->reg_kind) {
	case 'z': out_hex_bytes(t->snap + 544 + s->reg_idx * vl, vl); break;
	case 'p': out_hex_bytes(t->snap + 544 + 32 * vl + s->reg_idx * (vl / 8), vl / 8); break;
	case 'f': out_hex_bytes(t->snap + 544 + 34 * vl, vl / 8); break;
	case 'v': out_hex_bytes(t->snap + 32 + 16 * s->reg_idx, 16); break;
	case 's': out_hex_bytes(t->snap + 8, 8); break;
	case 'c': out_hex_bytes(t->snap + 16, 8); break;
	case 'l': out_dec((s64)vl * 8); break;
	}
	out_nl();
}

static int nworkers;

/* Calls of func by task idx (all tasks if idx < 0) since their set-up. */
static s64 trace_count_since_setup(const char *func, s64 idx)
{
	s64 c = trace_count(func, idx < 0 ? -1 : S->t[idx].pid);
	for (u32 f = 0; c >= 0 && f < S->prog.nfuncs && f < 16; f++) {
		if (!streq(S->prog.funcs[f], func))
			continue;
		for (int k = 0; k < MAX_TASKS; k++)
			if (idx < 0 ? S->t[k].pid > 0 : k == idx)
				c -= S->t[k].trace_base[f];
	}
	return c;
}

static s64 start_worker(struct step *s)
{
	int idx = s->task;
	s64 r;
	S->t[idx].done = 0;
	S->t[idx].go = 0;
	S->t[idx].ready = 0;
	r = sys5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
	if (r == 0) {
		me = idx;
		/* set up on the coordinator's CPU, take the priority, then move: a CFS task
		 * moved first would never run next to a spinning SCHED_FIFO worker */
		if (s->b)
			sys2(__NR_prctl, 50 /* PR_SVE_SET_VL */, s->b);
		install_handlers();
		open_alg(&S->t[idx]);
		if (s->c)
			set_fifo(0, (int)s->c);
		set_cpu(0, (int)s->a + 1);
		S->t[idx].done = 0;
		S->t[idx].ready = 1;
		worker_loop(0);
		sys_exit(0);
	}
	if (r > 0) {
		S->t[idx].pid = (s32)r;
		nworkers++;
		/* Wait until it has set itself up: a later step that changes its priority
		 * must not be overtaken by the worker's own set_fifo(). */
		for (int k = 0; !S->t[idx].ready; k++) {
			if (k == 50000)
				return -110; /* ETIMEDOUT, 5 s */
			sleep_us(100);
		}
		/* The set-up is the runner's, not the scenario's: a task declared with a
		 * VL exists at that VL in the model, while the worker sets it with a
		 * prctl() (on 6.1 and 6.12 a VL change reallocates sve_state). Counts
		 * exclude what the set-up called. */
		for (u32 f = 0; f < S->prog.nfuncs && f < 16; f++)
			S->t[idx].trace_base[f] = trace_count(S->prog.funcs[f], (int)r);
	}
	return r;
}

static s64 coord_step(struct step *s, u32 i)
{
	struct slot *t = &S->t[s->task];
	s64 r = 0;
	switch (s->op) {
	case OP_START:
		r = start_worker(s);
		break;
	case OP_PRIO:
		r = set_fifo(t->pid, (int)s->a);
		break;
	case OP_WAKE:
		t->blockword = 1;
		futex(&t->blockword, FUTEX_WAKE, 1);
		break;
	case OP_SLEEPING:
		/* wait until the task really sleeps in its blocking call */
		for (int k = 0; k < 50000; k++) {
			char st = proc_state(t->pid);
			if (st == 'S' || st == 't' || st == 'T')
				return 0;
			sleep_us(100);
		}
		return -110;
	case OP_AWAIT_HANDLER:
		/* a signal sent by another task: its handler runs at depth a */
		for (int k = 0; t->depth < (u32)s->a; k++) {
			if (k == 50000)
				return -110;
			sleep_us(100);
		}
		break;
	case OP_SYSCTL_VL:
		r = set_default_vl(s->a);
		break;
	case OP_AFFINITY:
		detach(s->task);
		r = set_cpu(t->pid, (int)s->a + 1);
		break;
	case OP_SIGNAL: {
		u32 depth = t->depth;
		detach(s->task);
		r = sys2(__NR_kill, t->pid, s->a);
		for (int k = 0; r == 0 && t->depth == depth && k < 50000; k++)
			sleep_us(100);
		if (t->depth == depth)
			r = -110;
		break;
	}
	case OP_PT_GET:
		r = stop_tracee(s->task);
		if (r == 0)
			r = regset_get(s->task, s->a);
		break;
	case OP_PT_SET_FPR: {
		struct program *p = &S->prog;
		r = stop_tracee(s->task);
		if (r == 0)
			r = regset_get(s->task, 2 /* NT_PRFPREG */);
		for (u32 k = 0; r >= 0 && k < s->nwrites; k++) {
			const struct write *w = &p->writes[s->write0 + k];
			if (w->kind == 'v')
				memcpy(regset + 16 * w->idx, &p->pool[w->off], 16);
			else if (w->kind == 's')
				memcpy(regset + 512, &p->pool[w->off], 4);
			else if (w->kind == 'c')
				memcpy(regset + 516, &p->pool[w->off], 4);
		}
		if (r >= 0)
			r = regset_set(s->task, 2, regset, 528);
		break;
	}
	case OP_PT_SET_SVE:
		r = stop_tracee(s->task);
		if (r == 0)
			r = pt_set_sve(s);
		break;
	case OP_DETACH:
		detach(s->task);
		break;
	case OP_OBS_REG:
		obs_reg(s);
		break;
	case OP_OBS_X0:
		obs_head(s->obs);
		out_dec(t->x0);
		out_nl();
		break;
	case OP_OBS_COUNT:
		obs_head(s->obs);
		out_dec(trace_count_since_setup(s->func, s->a));
		out_nl();
		break;
	case OP_OBS_FRAME:
		obs_head(s->obs);
		out_dec(t->depth);
		out(" ");
		out_hex_bytes(t->frame, t->frame_len);
		out_nl();
		break;
	case OP_OBS_TRACER:
		obs_head(s->obs);
		out_hex_bytes(regset, (size_t)regset_len);
		out_nl();
		break;
	case OP_OBS_GUEST: {
		struct vm *vm = &S->vms[s->task];
		obs_head(s->obs);
		if (s->a >= 0 && s->a < (s64)S->guest_snaps[s->task])
			out_hex_bytes(S->guest_snap[s->task][s->a], vm_image_size(vm->vl));
		else
			out("no-snapshot");
		out_nl();
		break;
	}
	case OP_OBS_DEPTH:
		obs_head(s->obs);
		out_dec(t->depth);
		out_nl();
		break;
	}
	return r;
}

static void finish_program(void)
{
	s32 status;
	for (int k = 0; k < MAX_TASKS; k++) {
		detach(k);
		S->t[k].exit_now = 1;
		S->t[k].blockword = 1;
		if (S->t[k].pid > 0)
			futex(&S->t[k].blockword, FUTEX_WAKE, 1);
	}
	/* reap the workers (the watchdog is a child too, and never exits); kill what
	 * does not exit on its own */
	for (int waited = 0; waited < 20000; waited++) {
		s64 r = sys4(__NR_wait4, -1, &status, 0x40000000 | 1 /* __WALL|WNOHANG */, 0);
		int left = 0;
		if (r < 0)
			break;
		for (int k = 0; k < MAX_TASKS; k++) {
			if (r > 0 && S->t[k].pid == r)
				S->t[k].pid = 0;
			left += S->t[k].pid > 0;
		}
		if (!left)
			break;
		if (r == 0)
			sleep_us(100);
		if (waited == 10000)
			for (int k = 0; k < MAX_TASKS; k++)
				if (S->t[k].pid > 0)
					sys2(__NR_kill, S->t[k].pid, SIGKILL);
	}
}

static void run_program(char *text, size_t len)
{
	struct program *p = &S->prog;
	memset(S->t, 0, sizeof(S->t));
	memset(S->guest_snaps, 0, sizeof(S->guest_snaps));
	memset(traced, 0, sizeof(traced));
	nworkers = 0;
	if (parse_program(p, text, len) < 0) {
		out("ERR cannot parse the program");
		out_nl();
		return;
	}
	out("PROGRAM ");
	out(p->name);
	out_nl();
	trace_begin(p);
	for (u32 i = 0; i < p->nsteps;) {
		struct step *s = &p->steps[i];
		s64 r;
		S->beat++;
		S->step = i + 1;
		if (s->actor == COORD) {
			r = coord_step(s, i);
			if (r < 0 && s->op != OP_PT_GET) {
				out("ERR step ");
				out_dec(i + 1);
				out(" failed: ");
				out_dec(r);
				out_nl();
				break;
			}
			if (s->op == OP_PT_GET) {
				obs_head(0);
				out("ptrace ");
				out_dec(r);
				out_nl();
			}
			i++;
			continue;
		}
		/* a batch of consecutive steps of one worker */
		u32 j = i;
		while (j < p->nsteps && p->steps[j].actor == s->actor)
			j++;
		detach(s->actor);
		S->t[s->actor].go = j;
		r = wait_done(s->actor, j, 20000);
		if (r < 0) {
			out("ERR steps ");
			out_dec(i + 1);
			out("-");
			out_dec(j);
			out(" of T");
			out_dec(s->actor);
			out(" did not complete: ");
			out_dec(r);
			out_nl();
			break;
		}
		i = j;
	}
	trace_end();
	finish_program();
	restore_default_vl();
	out("END ");
	out(p->name);
	out_nl();
}

static void load_modules(void)
{
	static char list[4096];
	s64 n = read_file("/modules/order", list, sizeof(list));
	char *l = list;
	if (n <= 0)
		return;
	while (*l) {
		char *e = l;
		char path[128] = "/modules/";
		while (*e && *e != '\n')
			e++;
		if (*e)
			*e++ = 0;
		if (strlen(l) + 10 < sizeof(path)) {
			memcpy(path + 9, l, strlen(l) + 1);
			s64 fd = sys_open(path, O_RDONLY, 0);
			s64 r = fd < 0 ? fd : sys3(__NR_finit_module, fd, "", 0);
			if (fd >= 0)
				sys_close((int)fd);
			out("MODULE ");
			out(l);
			out(" ");
			out_dec(r == -17 ? 0 : r);
			out_nl();
		}
		l = e;
	}
}

/*
 * The watchdog: a process on CPU 0 that, when the coordinator makes no progress for
 * WATCHDOG_S seconds inside a program (blocked in a syscall that never returns), prints
 * where every process of the program is in the kernel and powers the machine off, so
 * that a hang ends the boot at once, with its evidence on the console.
 */
#define WATCHDOG_S 30

static void dump_proc(int pid)
{
	static char buf[4096];
	char path[48], num[16], *e = num + sizeof(num) - 1;
	u32 v = (u32)pid;
	*e = 0;
	do
		*--e = (char)('0' + v % 10);
	while (v /= 10);
	static const char *const files[] = { "stat", "wchan", "stack" };
	for (int f = 0; f < 3; f++) {
		size_t n = 0;
		memcpy(path, "/proc/", 6);
		n = 6;
		memcpy(path + n, e, strlen(e));
		n += strlen(e);
		path[n++] = '/';
		memcpy(path + n, files[f], strlen(files[f]) + 1);
		if (read_file(path, buf, sizeof(buf)) < 0)
			continue;
		for (char *l = buf; *l;) {
			char *nl = l;
			while (*nl && *nl != '\n')
				nl++;
			char c = *nl;
			*nl = 0;
			out("WATCHDOG ");
			out(e);
			out(" ");
			out(files[f]);
			out(": ");
			out(l);
			out_nl();
			if (!c)
				break;
			l = nl + 1;
		}
	}
}

static void watchdog(void)
{
	u32 last = S->beat, still = 0;
	for (;;) {
		sleep_us(1000000);
		if (!S->busy || S->beat != last) {
			last = S->beat;
			still = 0;
			continue;
		}
		if (++still < WATCHDOG_S)
			continue;
		out("ERR watchdog: ");
		out(S->prog.name);
		out(" made no progress for 30 s at step ");
		out_dec(S->step);
		out_nl();
		dump_proc(1);
		for (int k = 0; k < MAX_TASKS; k++)
			if (S->t[k].pid > 0)
				dump_proc(S->t[k].pid);
		sleep_us(2000000); /* let the console drain */
		sys4(__NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	}
}

/*
 * The workers spin at EL0 as SCHED_FIFO tasks on CPUs 1 and 2, so a CFS kernel thread
 * there never runs. Softirq work the kernel defers to ksoftirqd/N (RCU's core
 * processing among it, under TCG's slow clock) would then never complete, and the next
 * synchronize_rcu() (tracefs does one when the tracer changes) would hang. Those
 * threads get a real-time priority above every worker. They hold no user FP state: a
 * switch to one and back leaves the worker's registers as they were.
 */
static void boost_cpu_kthreads(void)
{
	static char comm[64];
	for (int pid = 2; pid < 400; pid++) {
		char path[40] = "/proc/", *e = path + 6, num[12], *n = num + sizeof(num) - 1;
		u32 v = (u32)pid;
		*n = 0;
		do
			*--n = (char)('0' + v % 10);
		while (v /= 10);
		memcpy(e, n, strlen(n));
		memcpy(e + strlen(n), "/comm", 6);
		if (read_file(path, comm, sizeof(comm)) <= 0)
			continue;
		if (!(strncmp(comm, "ksoftirqd/", 10) == 0 || strncmp(comm, "rcuc/", 5) == 0) ||
		    comm[strlen(comm) - 2] == '0')
			continue;
		set_fifo(pid, 50);
		out("KTHREAD ");
		comm[strlen(comm) - 1] = 0;
		out(comm);
		out(" SCHED_FIFO 50");
		out_nl();
	}
}

static void mount_fs(void)
{
	sys3(__NR_mkdirat, AT_FDCWD, "/proc", 0755);
	sys3(__NR_mkdirat, AT_FDCWD, "/sys", 0755);
	sys3(__NR_mkdirat, AT_FDCWD, "/dev", 0755);
	sys5(__NR_mount, "proc", "/proc", "proc", 0, 0);
	sys5(__NR_mount, "sysfs", "/sys", "sysfs", 0, 0);
	sys5(__NR_mount, "devtmpfs", "/dev", "devtmpfs", 0, 0);
	sys5(__NR_mount, "tracefs", "/sys/kernel/tracing", "tracefs", 0, 0);
}

static char *program_text;
#define PROGRAM_MAX (16u << 20)

static void coordinator(void)
{
	static char index[65536];
	char *l = index;
	mount_fs();
	set_cpu(0, 0);
	/* spinning SCHED_FIFO workers must never be throttled */
	write_file("/proc/sys/kernel/sched_rt_runtime_us", "-1");
	load_modules();
	boost_cpu_kthreads();
	map_shm(1);
	if (sys5(__NR_clone, SIGCHLD, 0, 0, 0, 0) == 0)
		watchdog();
	{
		static char uname[512];
		read_file("/proc/version", uname, sizeof(uname));
		out("KERNEL ");
		for (char *c = uname; *c && *c != '\n'; c++) {
			char b[2] = { *c, 0 };
			out(b);
		}
		out_nl();
	}
	program_text = sys_mmap(0, PROGRAM_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (read_file("/programs/index", index, sizeof(index)) <= 0)
		die("no /programs/index", 0);
	while (*l) {
		char *e = l;
		char path[160] = "/programs/";
		while (*e && *e != '\n')
			e++;
		if (*e)
			*e++ = 0;
		if (*l && strlen(l) + 11 < sizeof(path)) {
			memcpy(path + 10, l, strlen(l) + 1);
			s64 n = read_file(path, program_text, PROGRAM_MAX);
			if (n < 0) {
				out("ERR cannot read ");
				out(path);
				out_nl();
			} else {
				S->busy = 1;
				run_program(program_text, (size_t)n);
				S->busy = 0;
			}
		}
		l = e;
	}
	out("RUNNER DONE");
	out_nl();
	sys4(__NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	sys_exit(0);
}

void cstart(u64 *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	if (argc >= 4 && streq(argv[1], "worker"))
		worker_after_exec((int)parse_int(argv[2]), (u32)parse_int(argv[3]));
	coordinator();
}
