/*
 * t.h — the unit tests' few macros. Each test binary prints TAP ("ok N - what"
 * / "not ok N - what") and exits non-zero if anything failed; tests/run
 * counts the lines. A failure says where and with which values.
 */
#ifndef HL_T_H
#define HL_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed;

#define T_OK(cond, ...)                                                          \
	do {                                                                     \
		int t_c_ = !!(cond);                                             \
		printf("%sok %d - ", t_c_ ? "" : "not ", ++t_n);                 \
		printf(__VA_ARGS__);                                             \
		printf("\n");                                                    \
		if (!t_c_) {                                                     \
			t_failed++;                                              \
			printf("#   %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
		}                                                                \
	} while (0)

#define T_EQ_INT(a, b, ...)                                                      \
	do {                                                                     \
		int64_t t_a_ = (int64_t)(a), t_b_ = (int64_t)(b);                \
		T_OK(t_a_ == t_b_, __VA_ARGS__);                                  \
		if (t_a_ != t_b_)                                                \
			printf("#   got %" PRId64 ", want %" PRId64 "\n", t_a_, t_b_); \
	} while (0)

#define T_EQ_STR(a, b, ...)                                                      \
	do {                                                                     \
		const char *t_a_ = (a), *t_b_ = (b);                             \
		int t_same_ = t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0;           \
		T_OK(t_same_, __VA_ARGS__);                                       \
		if (!t_same_)                                                    \
			printf("#   got \"%s\", want \"%s\"\n", t_a_ ? t_a_ : "(null)", \
			       t_b_ ? t_b_ : "(null)");                          \
	} while (0)

/* Reads a fixture from tests/fixtures (run from the repository root). */
static inline char *t_fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "tests/fixtures/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("Bail out! fixture %s: cannot open\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! fixture %s: cannot read\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline int t_done(void)
{
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

#endif
