/* Appended to cgroup_util.h for test_memcontrol.traced (scripts/build-selftests): every
 * values_close(), cg_read_long(), cg_read_key_long() and cg_write() that test_memcontrol.c
 * calls is logged to stderr with its source line. cgroup_util.c defines SELFTEST_TRACE_IMPL
 * (on its first line) and so keeps the real functions. */
#ifndef SELFTEST_TRACE_IMPL
#include <stdio.h>
static inline int values_close_tr(long a, long b, int err, int line)
{
	int r = values_close(a, b, err);

	fprintf(stderr, "selftest-close: %d %ld %ld %d%% -> %d\n", line, a, b, err, r);
	return r;
}
static inline long cg_read_long_tr(const char *cg, const char *f, int line)
{
	long v = cg_read_long(cg, f);

	fprintf(stderr, "selftest-read: %d %s/%s = %ld\n", line, cg, f, v);
	return v;
}
static inline long cg_read_key_long_tr(const char *cg, const char *f, const char *k, int line)
{
	long v = cg_read_key_long(cg, f, k);

	fprintf(stderr, "selftest-read: %d %s/%s '%s' = %ld\n", line, cg, f, k, v);
	return v;
}
static inline int cg_write_tr(const char *cg, const char *f, char *buf, int line)
{
	int r = cg_write(cg, f, buf);

	fprintf(stderr, "selftest-write: %d %s/%s '%s' -> %d\n", line, cg, f, buf, r);
	return r;
}
#define values_close(a, b, e) values_close_tr(a, b, e, __LINE__)
#define cg_read_long(c, f) cg_read_long_tr(c, f, __LINE__)
#define cg_read_key_long(c, f, k) cg_read_key_long_tr(c, f, k, __LINE__)
#define cg_write(c, f, b) cg_write_tr(c, f, b, __LINE__)
#endif
