/*
 * lab.h — what every experiment uses: its description, its --name=value
 * parameters, and lab_phase(), the phase protocol of DESIGN.md section 4.
 *
 * Under the harness (HEAPLAB_PHASE_FDS set by `heaplab run`), lab_phase()
 * sends the process's own mallinfo2, malloc_info XML, malloc_stats text and
 * the observations made since the last phase to the harness, then blocks
 * until the harness has sampled /proc: inside and outside figures are of the
 * same instant. Alone, it prints a one-line summary to stderr.
 *
 * lab_phase() does not call malloc: its buffers, FILE and memfds are made in
 * lab_init(), before the experiment allocates anything it measures. The wire
 * format is documented in docs/phase-protocol.md.
 *
 * An experiment is:
 *
 *     static lab_param_t params[] = {
 *         {"blocks", 262144, 1, 1 << 24, "how many blocks to allocate"},
 *         {0},
 *     };
 *     static const lab_experiment_t exp = {
 *         .name = "brk_pin", .lesson = "...", .phases = "allocated freed trimmed",
 *         .expect = "...", .params = params, .steps = steps,
 *     };
 *     int main(int argc, char **argv) {
 *         lab_init(&exp, argc, argv);
 *         long long n = lab_param(&exp, "blocks");
 *         ...
 *         lab_phase("allocated");
 *     }
 *
 * Besides its parameters every experiment answers --help and --describe (the
 * description in "key: value" lines, read by `heaplab list` and `explain`),
 * and --check (validate the parameters, exit 0 or 2, run nothing).
 */
#ifndef LAB_H
#define LAB_H

typedef struct lab_param {
	const char *name; /* --name=value */
	long long def;    /* default */
	long long min;    /* accepted range, inclusive */
	long long max;
	const char *help; /* one line */
	long long value;  /* set by lab_init */
} lab_param_t;

typedef struct lab_experiment {
	const char *name;   /* as `heaplab run NAME` knows it */
	const char *lesson; /* one sentence */
	const char *phases; /* the phase names, space-separated, in order */
	const char *look;   /* what to look at in the table and the plot */
	const char *expect; /* the expected result on glibc 2.36, with numbers */
	lab_param_t *params; /* terminated by an entry with name == NULL */
	/* The lesson on each glibc of the matrix, measured, one line each:
	 * "2.31 holds: ...", "2.43 differs: ..." or "2.43 does not apply: ..."
	 * (test_live_glibc_lessons runs it under each and asserts the word);
	 * NULL-terminated. */
	const char *const *glibc;
	/* The lesson at each phase, for teaching (heapview --step, heaplab
	 * explain, heaplab run --slides): two or three lines per phase, each
	 * "PHASE: text" or "PHASE [PARAM=V]: text" (shown only when the run's
	 * parameter PARAM is V); an N in PHASE stands for a number
	 * ("roundN_freed"). The text says what just happened and what to look
	 * at, with placeholders that the viewer fills with this run's figures
	 * at that phase: {rss}, {live}, {freed}, {pin_size}, {p:blocks}, ...
	 * (the list and their meaning: lib/lesson.c, `heaplab explain`).
	 * NULL-terminated. */
	const char *const *steps;
} lab_experiment_t;

/* Parses argv (exits 2 with a message naming the parameter on bad input),
 * handles --help / --describe / --check, and prepares the phase protocol. */
void lab_init(const lab_experiment_t *exp, int argc, char **argv);

/* The value of a declared parameter (exits 2 if the name is not declared:
 * that is a bug in the experiment). */
long long lab_param(const lab_experiment_t *exp, const char *name);

/* Records a figure the experiment knows about itself; it goes into the next
 * phase's "observations" in run.json. At most 64 per phase; key at most 63
 * characters of [a-z0-9_]. */
void lab_observe(const char *key, double value);

/* Marks a phase: name is [a-z0-9_-], at most 63 characters. */
void lab_phase(const char *name);

/* malloc_trim(0), recorded as the observation "malloc_trim" (its return
 * value) so the verdict can say what malloc_trim released. */
int lab_trim(void);

/* Memory for the experiment's own bookkeeping (pointer arrays) straight from
 * mmap, so it neither lives in nor moves the heap being measured. */
void *lab_scratch(unsigned long long bytes);

/* Writes to every byte's page so the memory is resident (RSS counts it). */
void lab_touch(void *p, unsigned long long bytes);

/* n blocks of size bytes from malloc, each touched, in a pointer array from
 * lab_scratch(); exits (status 1) if malloc fails. */
void **lab_blocks(long long n, unsigned long long size);

/* free() of blocks[0..n-1], in order (last first if reverse). */
void lab_free_blocks(void **blocks, long long n, int reverse);

/* Keeps the compiler from removing an allocation whose only use is free():
 * GCC may drop a malloc/free pair it can see whole, and a pin that is never
 * allocated pins nothing. Call it on every block whose address matters. */
void lab_keep(void *p);

/* The process's resident bytes now, from /proc/self/statm (-1 if unknown). */
long long lab_rss_bytes(void);

/* Whether the chunk behind p (from malloc) was mmapped on its own: the
 * IS_MMAPPED bit of its size field. glibc-only, like the lessons. */
int lab_chunk_is_mmapped(const void *p);

#endif
