#!/bin/sh
# bad_input.sh — every kind of bad input gets a clear message, a non-zero
# exit, and loses nothing already recorded.
. tests/behaviour/_tap.sh
T=$T_TMP

expect_run "unknown experiment" 2 "unknown experiment 'nope'" $HEAPLAB run nope
grep -q "brk_pin" "$T/err"; ok $? "unknown experiment: lists the experiments"
[ ! -e results/nope ]; ok $? "unknown experiment: no run directory made"

expect_run "bad parameter value" 2 "\-\-blocks must be an integer from 1 to" \
	$HEAPLAB run brk_pin --out "$T/bad1" -- --blocks=abc
[ ! -e "$T/bad1" ]; ok $? "bad parameter: no run directory made"
expect_run "unknown parameter" 2 "unknown parameter '--bogus'" \
	$HEAPLAB run brk_pin --out "$T/bad2" -- --bogus=1
expect_run "parameter out of range" 2 "\-\-pin must be an integer from 0 to 1, got '7'" \
	$HEAPLAB run brk_pin --out "$T/bad3" -- --pin=7
expect_run "bad interval" 2 "\-\-interval takes milliseconds" $HEAPLAB run brk_pin --interval x
expect_run "bad tunable" 2 "\-\-tunable takes glibc.malloc.NAME=VALUE" \
	$HEAPLAB run brk_pin --tunable arena_max
expect_run "unknown allocator" 2 "unknown allocator 'hoard'" $HEAPLAB run brk_pin --allocator hoard
expect_run "unknown command" 2 "unknown command 'frobnicate'" $HEAPLAB frobnicate
expect_run "plot of a non-run" 2 "no run.json" $HEAPLAB plot "$T"

# A directory holding a run is never written over.
small="--blocks=256"
$HEAPLAB run brk_pin --quiet --out "$T/run" -- $small >/dev/null 2>&1
ok $? "a small run succeeds"
sum=$(cat "$T/run/run.json" "$T/run/samples.tsv" | cksum)
ls "$T/run" >"$T/listing"
expect_run "--out holding a run" 2 "already holds a run" \
	$HEAPLAB run brk_pin --quiet --out "$T/run" -- $small
[ "$(cat "$T/run/run.json" "$T/run/samples.tsv" | cksum)" = "$sum" ]
ok $? "--out holding a run: run.json and samples.tsv unchanged"
ls "$T/run" | cmp -s - "$T/listing"; ok $? "--out holding a run: no file added"

mkdir "$T/notempty" && echo keep >"$T/notempty/notes.txt"
expect_run "--out not empty" 2 "is not empty" $HEAPLAB run brk_pin --out "$T/notempty" -- $small
[ "$(cat "$T/notempty/notes.txt")" = keep ] && [ "$(ls "$T/notempty")" = notes.txt ]
ok $? "--out not empty: untouched"

echo x >"$T/afile"
expect_run "--out not creatable" 2 "cannot create --out" $HEAPLAB run brk_pin --out "$T/afile/run"
expect_run "--out is a file" 2 "is not a directory" $HEAPLAB run brk_pin --out "$T/afile"

# The program dies of a signal after its first phase.
expect_run "killed by a signal" 1 "killed by signal 9" \
	$HEAPLAB run "$HELPERS/lab_dies" --out "$T/killed"
grep -q "after phase 'started'" "$T/err"; ok $? "killed: says which phase it reached"
grep -q '"complete":[[:space:]]*false' "$T/killed/run.json"; ok $? "killed: run.json marked incomplete"
grep -q '"name":[[:space:]]*"started"' "$T/killed/run.json"; ok $? "killed: the phase reached is kept"
grep -q "killed by signal 9 (Killed) after phase 'started'" "$T/killed/run.json"
ok $? "killed: run.json status says why and where"
[ -s "$T/killed/malloc_info-started.xml" ]; ok $? "killed: the phase's malloc_info is kept"
[ "$(wc -l <"$T/killed/samples.tsv")" -ge 2 ]; ok $? "killed: samples.tsv kept"

# The program exits non-zero after its first phase.
expect_run "exits non-zero" 1 "exited with status 3 after phase 'started'" \
	$HEAPLAB run "$HELPERS/lab_dies" --out "$T/exit3" -- --signal=0 --exit=3
grep -q '"exit_code":[[:space:]]*3' "$T/exit3/run.json"; ok $? "exit 3: exit_code recorded"

# A program that does not exist.
expect_run "missing program" 2 "cannot run './no/such/prog'" $HEAPLAB run ./no/such/prog

# A glibc not in the matrix: the versions there are, nothing run.
for cmd in "run brk_pin" "sweep brk_pin" "trace --out $T/g.trace"; do
	# shellcheck disable=SC2086
	expect_run "--glibc 2.99 ($cmd)" 2 "glibc '2.99' is not in the matrix; there are: .*2.36 (this system's)" \
		$HEAPLAB $cmd --glibc 2.99 -- true
done
expect_run "--glibc 2.99 (replay)" 2 "glibc '2.99' is not in the matrix" \
	$HEAPLAB replay "$T/none.trace" --glibc 2.99
[ ! -e "$T/g.trace" ]; ok $? "--glibc 2.99: no trace written"
expect_run "heapview --glibc 2.99" 2 "glibc '2.99' is not in the matrix" \
	${HEAPLAB%/heaplab}/heapview --glibc 2.99 -- true
expect_run "heapview --glibc with a PID" 2 "is for -- COMMAND and --experiment" \
	${HEAPLAB%/heaplab}/heapview --glibc 2.31 1
expect_run "heapview --step with a PID" 2 "--step is for --experiment EXP: only an experiment stops at its phases" \
	${HEAPLAB%/heaplab}/heapview --step 1
expect_run "heapview --step with -- COMMAND" 2 "try heapview --experiment brk_pin --step" \
	${HEAPLAB%/heaplab}/heapview --step -- /bin/true
expect_run "heaplab run --gate not a descriptor" 2 "--gate takes an open descriptor (3 or more), got 'x'" \
	$HEAPLAB run brk_pin --gate x
expect_run "heaplab run --gate closed" 2 "--gate takes an open descriptor (3 or more), got '77'" \
	$HEAPLAB run brk_pin --gate 77
# A program built on this system, run under 2.31: its loader refuses it; said
expect_run "a program too new for --glibc 2.31" 1 "the program needs glibc 2.3[0-9.]* or later and this is 2.31" \
	$HEAPLAB run "$(command -v perl)" --glibc 2.31 --out "$T/perl231" -- -e 1
# With the system's jemalloc under glibc 2.31: refused, it needs a newer glibc.
expect_run "--allocator jemalloc --glibc 2.31" 2 "needs a newer glibc than 2.31" \
	$HEAPLAB run brk_pin --allocator jemalloc --glibc 2.31

# A program on musl's libc, not glibc's: said, the maps-level view.
printf '#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\nint main(void) { char *volatile p = malloc(100000); p[0] = 1; printf("ready\\n"); fflush(stdout); pause(); return 0; }\n' >"$T/musl.c"
musl-gcc -o "$T/musl_prog" "$T/musl.c"
ok $? "a musl program builds (musl-tools)"
"$T/musl_prog" >"$T/musl.out" &
mpid=$!
sleep 0.3
${HEAPLAB%/heaplab}/heapview --once $mpid >"$T/out" 2>&1
[ $? -eq 1 ]; ok $? "heapview --once on musl: exit status 1 (the heap not walked)"
grep -q "is not glibc (no \"GNU C Library\" banner: musl" "$T/out"; ok $? "heapview --once on musl: says it is not glibc"
grep -q "^heap: not walked" "$T/out"; ok $? "heapview --once on musl: the maps-level view, no heap figures"
$HEAPLAB diagnose $mpid >"$T/out" 2>&1
ok $? "diagnose on musl: exit status 0 (the parts of RSS from smaps)"
grep -q "glibc unknown" "$T/out"; ok $? "diagnose on musl: glibc unknown, no walk"
kill $mpid 2>/dev/null

# Without gnuplot the data is still written, and `plot` works once it is back.
mkdir "$T/bin"
for tool in sh cat; do ln -s "$(command -v $tool)" "$T/bin/$tool"; done
expect_run "gnuplot missing" 0 "apt-get install gnuplot-nox" \
	env PATH="$T/bin" $HEAPLAB run brk_pin --out "$T/noplot" -- $small
[ -s "$T/noplot/run.json" ] && [ -s "$T/noplot/samples.tsv" ] && [ -s "$T/noplot/timeline.gp" ]
ok $? "gnuplot missing: run.json, samples.tsv and timeline.gp written"
[ ! -e "$T/noplot/timeline.png" ]; ok $? "gnuplot missing: no half-made plot"
$HEAPLAB plot "$T/noplot" >/dev/null 2>&1 && [ -s "$T/noplot/timeline.png" ]
ok $? "gnuplot back: heaplab plot makes the PNG"

done_testing
