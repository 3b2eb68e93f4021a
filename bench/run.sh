#!/bin/sh
# bench/run.sh — `make bench`: figures, not pass/fail. Medians of repeated
# runs, in one run of this script, so ratios compare like with like.
#
# 1. What sampling costs the experiment: brk_pin's wall time under the
#    harness at --interval 0 (phases only), 10 ms and 1 ms.
# 2. What one sample costs on a process with 10,000 mappings.
# 3. What a heap walk costs against copying the heaps, on every heap shape
#    of tests/helpers/heap_shape (BENCH_WALK_HEAPS="mixed_1g ..." for some),
#    and what `heapview --once` costs on a small process.
# 4. heapview's own CPU in its live view, on 1 GiB heaps and the mixed 8 GiB.
# 5. heaplab trace against bare runs and heaptrack.
set -eu
cd "$(dirname "$0")/.."
HEAPLAB=build/heaplab
REPEATS=${BENCH_REPEATS:-9}
tmp=$(mktemp -d)
# the targets this script starts: killed however it ends (an 8 GiB heap
# must not outlive a failed bench)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# start_shape FILE ARGS...: tests/helpers/heap_shape ARGS in the background,
# its two lines into FILE (a file: a FIFO closed after the first line would
# kill it with SIGPIPE); true once they are there, false after 300 s. The
# pid is in $shape_pid.
start_shape() {
	f=$1
	shift
	build/tests/helpers/heap_shape "$@" >"$f" &
	shape_pid=$!
	pids="$pids $shape_pid"
	for i in $(seq 600); do
		[ "$(wc -l <"$f")" -ge 2 ] && return 0
		sleep 0.5
	done
	return 1
}

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "== sampling cost: brk_pin (262,144 x 4 KiB, pin, trim, no hold), $REPEATS runs each, interleaved"
for i in $(seq "$REPEATS"); do
	for iv in 0 10 1; do
		out="$tmp/r-$iv-$i"
		$HEAPLAB run brk_pin --quiet --interval "$iv" --out "$out" -- --hold_ms=0 >/dev/null
		ms=$(grep '"duration_ms"' "$out/run.json" | tr -dc '0-9')
		n=$(grep '"samples"' "$out/run.json" | tr -dc '0-9')
		echo "$ms" >>"$tmp/ms-$iv"
		echo "$n" >>"$tmp/n-$iv"
	done
done
base=$(median <"$tmp/ms-0")
for iv in 0 10 1; do
	m=$(median <"$tmp/ms-$iv")
	n=$(median <"$tmp/n-$iv")
	lo=$(sort -n "$tmp/ms-$iv" | head -n 1)
	hi=$(sort -n "$tmp/ms-$iv" | tail -n 1)
	awk -v iv="$iv" -v m="$m" -v b="$base" -v n="$n" -v lo="$lo" -v hi="$hi" 'BEGIN {
		printf "  interval %2s ms: median wall %6d ms (runs %d..%d)  samples %5d  ratio to no sampling %.3f (%+.1f%%)\n",
			iv, m, lo, hi, n, m / b, (m / b - 1) * 100 }'
done
echo "  goal: sampling at 10 ms costs the experiment under 1% of its wall time"
echo
echo "== one sample on a process with 10,000 mappings"
build/bench/smaps_read 10000 50 | sed 's/^/  /'
echo
echo "== heap walk against a copy of the heaps, per heap shape"
# shellcheck disable=SC2086
build/bench/walk ${BENCH_WALK_HEAPS:-} | sed 's/^/  /'
# what one snapshot costs when there is nearly nothing to walk: finding
# libc, reading its DWARF, /proc
sleep 30 &
sl=$!
pids="$pids $sl"
for i in 1 2 3 4 5; do
	s=$(date +%s%N)
	build/heapview --once "$sl" >/dev/null || true
	e=$(date +%s%N)
	echo $(((e - s) / 1000)) >>"$tmp/once"
done
kill "$sl" 2>/dev/null || true
wait "$sl" 2>/dev/null || true
sort -n "$tmp/once" | awk '{v[NR]=$1} END {
	printf "  heapview --once on a `sleep 30` process: median wall %.1f ms (runs %.1f..%.1f)\n",
		v[3] / 1e3, v[1] / 1e3, v[5] / 1e3 }'
echo
echo "== heaplab diagnose on the halffree heap (~7.5 GiB, 250,000 free chunks): goal under 5 s, parts adding up to RSS"
# each run is a new process: reading libc's debug info is in every figure
if start_shape "$tmp/hf" halffree; then
	hf=$shape_pid
	for i in 1 2 3 4 5; do
		s=$(date +%s%N)
		$HEAPLAB diagnose --json "$hf" >"$tmp/diag.json" 2>/dev/null || true
		e=$(date +%s%N)
		echo $(((e - s) / 1000000)) >>"$tmp/diag-ms"
	done
	rem=$(grep -o '"remainder_bytes":[[:space:]]*[-0-9]*' "$tmp/diag.json" | tr -dc '0-9-')
	rss=$(grep -o '"rss_bytes":[[:space:]]*[0-9]*' "$tmp/diag.json" | head -n 1 | tr -dc '0-9')
	sort -n "$tmp/diag-ms" | awk -v rem="$rem" -v rss="$rss" '{v[NR]=$1} END {
		printf "  median wall %d ms (runs %d..%d), RSS %.2f GiB, remainder %d B: %s\n",
			v[3], v[1], v[5], rss / 2^30, rem, (v[3] < 5000 && rem * rem < (rss / 100) ^ 2) ? "met" : "NOT met" }'
else
	echo "  halffree: heap_shape did not get ready"
fi
kill "$shape_pid" 2>/dev/null || true
wait "$shape_pid" 2>/dev/null || true
echo
echo "== heapview's own CPU, live view at --interval 500 (goal: under 5% of one core)"
# heapview runs in a real terminal (tmux); its utime+stime is read from
# /proc over 10 s windows after a 3 s warm-up (the first walk reads libc's
# DWARF). Its cost rule walks again max(interval, 20 x the last walk)
# after a walk, so where one walk takes a second, a 10 s window holds one
# walk or none: the goal is judged on all the windows together, and the
# mixed 8 GiB heap gets nine windows.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
hv_cpu() { # LABEL TARGET_PID WINDOWS
	rm -f "$tmp/hv"
	TM="tmux -L heaplab-bench-$$ -f /dev/null"
	$TM new-session -d -x 120 -y 40 "build/heapview --interval 500 $2"
	sleep 3
	hv=$(pgrep -n -f "build/heapview --interval 500 $2\$" || true)
	if [ -n "$hv" ]; then
		for i in $(seq "$3"); do
			a=$(ticks "$hv")
			s=$(date +%s%N)
			sleep 10
			b=$(ticks "$hv")
			e=$(date +%s%N)
			echo "$((b - a)) $((e - s))" >>"$tmp/hv"
		done
		awk -v m="$1" -v hz="$hz" '{ p[NR] = $1 / hz / ($2 / 1e9) * 100; t += $1; ns += $2 }
		END {
			n = NR
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && p[j - 1] > p[j]; j--) {
					x = p[j]; p[j] = p[j - 1]; p[j - 1] = x
				}
			all = sprintf("%.2f", t / hz / (ns / 1e9) * 100) + 0 # judged as printed
			printf "  %-13s heapview CPU %5.2f%% of one core over %d s (10 s windows: median %.2f%%, %.2f..%.2f%%): %s\n",
				m, all, ns / 1e9 + 0.5, p[int((n + 1) / 2)], p[1], p[n], all < 5 ? "met" : "NOT met" }' "$tmp/hv"
	else
		echo "  $1 heapview did not start"
	fi
	$TM kill-server 2>/dev/null || true
}
# hold_freed: 262,144 x 4 KiB and a pin, either freed (1 GiB held back, one
# free chunk) or kept in use (262,146 chunks to walk)
for mode in freed used; do
	rm -f "$tmp/ready"
	mkfifo "$tmp/ready"
	build/tests/helpers/hold_freed 262144 "$mode" >"$tmp/ready" &
	hold=$!
	pids="$pids $hold"
	read -r _ tpid <"$tmp/ready"
	hv_cpu "1 GiB $mode:" "$tpid" 3
	kill "$hold" 2>/dev/null || true
	wait "$hold" 2>/dev/null || true
done
# the mixed heap of 8 GiB requested (seed 1)
if start_shape "$tmp/shape" mixed --gib=8 --seed=1; then
	shape=$shape_pid
	hv_cpu "mixed 8 GiB:" "$shape" 9
else
	echo "  mixed 8 GiB: heap_shape did not get ready"
fi
kill "$shape" 2>/dev/null || true
wait "$shape" 2>/dev/null || true
echo
echo "== heaplab trace against bare and heaptrack: 20M malloc/free pairs, 16..512 B, window of 10,000"
echo "   (goal: trace with stacks of depth 8 at most 3x bare, at most 8 bytes per event, at most +16 MiB peak RSS)"
ah=build/bench/alloc_heavy
for th in 1 2; do
	for i in 1 2 3 4 5; do
		$ah "$th" 20000000 >>"$tmp/ah-bare-$th"
		rm -f "$tmp/ah.trace"
		build/heaplab trace --out "$tmp/ah.trace" -- $ah "$th" 20000000 2>/dev/null >>"$tmp/ah-trace-$th"
		stat -c %s "$tmp/ah.trace" >>"$tmp/ah-bytes-$th"
		# libunwind's stacks cost more a call: a tenth of the calls
		rm -f "$tmp/ah.trace"
		build/heaplab trace --unwind libunwind --out "$tmp/ah.trace" -- $ah "$th" 2000000 2>/dev/null >>"$tmp/ah-unw-$th"
		if command -v heaptrack >/dev/null 2>&1; then
			rm -f "$tmp"/ht*
			heaptrack -o "$tmp/ht" $ah "$th" 20000000 2>/dev/null | grep -E '^[0-9.]+ [0-9]+$' >>"$tmp/ah-ht-$th"
		fi
	done
	med() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
	b=$(med "$tmp/ah-bare-$th" 1)
	t=$(med "$tmp/ah-trace-$th" 1)
	bk=$(med "$tmp/ah-bare-$th" 2)
	tk=$(med "$tmp/ah-trace-$th" 2)
	by=$(sort -n "$tmp/ah-bytes-$th" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	awk -v th="$th" -v b="$b" -v t="$t" -v bk="$bk" -v tk="$tk" -v by="$by" 'BEGIN {
		printf "  %d thread%s: bare %.1f ns/pair; heaplab trace %.1f ns/pair (%.2fx), %.2f bytes/event, peak RSS +%.1f MiB\n",
			th, (th > 1 ? "s" : ""), b, t, t / b, by / 40000000, (tk - bk) / 1024 }'
	u=$(med "$tmp/ah-unw-$th" 1)
	awk -v b="$b" -v u="$u" 'BEGIN {
		printf "             --unwind libunwind %.1f ns/pair (%.2fx bare; no goal: whole stacks through code without frame pointers)\n",
			u, u / b }'
	if [ -s "$tmp/ah-ht-$th" ]; then
		h=$(med "$tmp/ah-ht-$th" 1)
		hk=$(med "$tmp/ah-ht-$th" 2)
		awk -v b="$b" -v h="$h" -v t="$t" -v bk="$bk" -v hk="$hk" 'BEGIN {
			printf "             heaptrack %.1f ns/pair (%.2fx), peak RSS +%.1f MiB; heaplab trace is %.1fx faster\n",
				h, h / b, (hk - bk) / 1024, h / t }'
	fi
done
