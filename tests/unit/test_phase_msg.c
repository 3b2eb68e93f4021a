/* test_phase_msg.c — the phase protocol parser: whole messages, messages cut
 * at every byte (need more, never an error), garbage (an error, no crash). */
#include "heaplab.h"
#include "t.h"

static const char xml[] = "<malloc version=\"1\">\n</malloc>\n";
static const char stats[] = "Arena 0:\nsystem bytes     =     135168\n";

static size_t make_msg(char *buf, size_t sz, const char *name)
{
	return (size_t)snprintf(buf, sz,
				"phase %s\nmallinfo2 1077936128 2 0 0 0 0 0 4096 1077932032 "
				"135152\nobs blocks 262144\nobs ratio 0.25\nmalloc_info %zu\n%s\n"
				"malloc_stats %zu\n%s\nend\n",
				name, sizeof xml - 1, xml, sizeof stats - 1, stats);
}

int main(void)
{
	char buf[4096];
	size_t n = make_msg(buf, sizeof buf, "freed");
	hl_phase_msg_t m;
	hl_error_t err = {0};

	int64_t used = hl_phase_msg_parse(buf, n, &m, &err);
	T_EQ_INT(used, n, "a whole message is used whole");
	T_EQ_STR(m.name, "freed", "phase name");
	T_OK(m.mallinfo2.valid, "mallinfo2 is valid");
	T_EQ_INT(m.mallinfo2.arena, 1077936128, "mallinfo2.arena");
	T_EQ_INT(m.mallinfo2.ordblks, 2, "mallinfo2.ordblks");
	T_EQ_INT(m.mallinfo2.uordblks, 4096, "mallinfo2.uordblks");
	T_EQ_INT(m.mallinfo2.fordblks, 1077932032, "mallinfo2.fordblks");
	T_EQ_INT(m.mallinfo2.keepcost, 135152, "mallinfo2.keepcost");
	T_EQ_INT(m.nobs, 2, "two observations");
	T_EQ_STR(m.obs[0].key, "blocks", "first observation key");
	T_OK(m.obs[0].value == 262144.0, "first observation value");
	T_OK(m.obs[1].value == 0.25, "fractional observation value");
	T_EQ_INT(m.malloc_info_len, sizeof xml - 1, "malloc_info length");
	T_OK(m.malloc_info && memcmp(m.malloc_info, xml, sizeof xml - 1) == 0,
	     "malloc_info points at the XML");
	T_OK(m.malloc_stats && memcmp(m.malloc_stats, stats, sizeof stats - 1) == 0,
	     "malloc_stats points at the text");

	/* Two messages back to back: the first is used, then the second. */
	char two[8192];
	size_t n2 = make_msg(two, sizeof two, "allocated");
	n2 += make_msg(two + n2, sizeof two - n2, "trimmed");
	used = hl_phase_msg_parse(two, n2, &m, &err);
	T_OK(used > 0 && (size_t)used < n2, "first of two messages");
	T_EQ_STR(m.name, "allocated", "first name");
	int64_t used2 = hl_phase_msg_parse(two + used, n2 - (size_t)used, &m, &err);
	T_EQ_INT(used + used2, n2, "second of two messages");
	T_EQ_STR(m.name, "trimmed", "second name");

	/* Every prefix is "need more", never an error or a message. */
	int bad = 0;
	for (size_t cut = 0; cut < n; cut++)
		if (hl_phase_msg_parse(buf, cut, &m, &err) != 0)
			bad++;
	T_EQ_INT(bad, 0, "every proper prefix asks for more bytes");

	/* Garbage is an error with a message. */
	const char *garbage[] = {
		"hello\n",
		"phase Bad Name\n",
		"phase ok\nmallinfo2 1 2 3\n",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 x\n",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 10\nobs Key 1\n",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 10\nobs k nope\n",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 10\nmalloc_info 3\nabcX",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 10\nmalloc_info 99999999999\n",
		"phase ok\nmallinfo2 1 2 3 4 5 6 7 8 9 10\nmalloc_info 0\n\nmalloc_stats 0\n\nfin\n",
	};
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		err.msg[0] = '\0';
		int64_t r = hl_phase_msg_parse(garbage[i], strlen(garbage[i]), &m, &err);
		T_OK(r < 0 && err.msg[0], "garbage %zu is refused with a message (%s)", i, err.msg);
	}

	/* A line longer than any real line is an error, not a wait forever. */
	static char longline[10000];
	memset(longline, 'a', sizeof longline);
	T_OK(hl_phase_msg_parse(longline, sizeof longline, &m, &err) < 0,
	     "an endless first line is refused");
	return t_done();
}
