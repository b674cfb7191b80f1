/* svelab real-kernel runner: byte helpers and console output (general registers only). */
#include "sys.h"

void *memset(void *d, int c, size_t n)
{
	volatile u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile u8 *p = d;
	const volatile u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	volatile u8 *p = d;
	const volatile u8 *q = s;
	if (p < q) {
		while (n--)
			*p++ = *q++;
	} else {
		p += n;
		q += n;
		while (n--)
			*--p = *--q;
	}
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static char obuf[8192];
static size_t olen;

static void flush(void)
{
	size_t off = 0;
	while (off < olen) {
		s64 r = sys_write(1, obuf + off, olen - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	olen = 0;
}

static void putc_(char c)
{
	if (olen == sizeof(obuf))
		flush();
	obuf[olen++] = c;
}

void out(const char *s)
{
	while (*s)
		putc_(*s++);
}

void out_dec(s64 v)
{
	char b[24];
	int i = 0;
	u64 u = v < 0 ? (u64)(-v) : (u64)v;
	if (v < 0)
		putc_('-');
	do {
		b[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (i)
		putc_(b[--i]);
}

void out_hex_bytes(const u8 *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		putc_(hex[b[i] >> 4]);
		putc_(hex[b[i] & 15]);
	}
}

void out_nl(void)
{
	putc_('\n');
	flush();
}

void die(const char *what, s64 err)
{
	out("ERR ");
	out(what);
	out(" ");
	out_dec(err);
	out_nl();
	sys_exit(1);
}
