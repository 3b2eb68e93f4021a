#!/bin/sh
# program.sh — heaplab runs any program, not only experiments: it samples
# it, records no phases, says so, and still draws the timeline.
. tests/behaviour/_tap.sh
T=$T_TMP

$HEAPLAB run /bin/sleep --out "$T/sleep" -- 0.3 >"$T/out" 2>&1
ok $? "heaplab run /bin/sleep -- 0.3 exits 0"
grep -q "verdict: unknown: the program marked no phases" "$T/out"
ok $? "the verdict says there were no phases"
grep -q '"complete":[[:space:]]*true' "$T/sleep/run.json"; ok $? "run.json complete"
grep -q '"argv1":[[:space:]]*"0.3"' "$T/sleep/run.json"; ok $? "the program's arguments are recorded"
n=$(($(wc -l <"$T/sleep/samples.tsv") - 1))
[ "$n" -ge 15 ]; ok $? "0.3 s at 10 ms gives >= 15 samples (got $n)"
[ -s "$T/sleep/timeline.png" ]; ok $? "the timeline is drawn"

# The harness waits for exec before it samples; a failed exec is reported
# as such and recorded.
printf 'not a program\n' >"$T/garbage" && chmod +x "$T/garbage"
expect_run "exec fails" 1 "cannot execute .*Exec format error" $HEAPLAB run "$T/garbage" --out "$T/garbage-run"
grep -q '"status":[[:space:]]*"could not execute: Exec format error"' "$T/garbage-run/run.json"
ok $? "exec fails: run.json says so"

expect_run "exit status passes as failure" 1 "exited with status 3" \
	$HEAPLAB run /bin/sh --out "$T/sh" -- -c "exit 3"
printf '#!/bin/sh\n' >"$T/noexec"
expect_run "not executable" 2 "cannot run" $HEAPLAB run "$T/noexec"

done_testing
