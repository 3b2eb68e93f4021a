#!/bin/sh
# bench/run.sh — `make bench`: figures, not pass/fail. Medians of repeated
# runs, in one run of this script, so ratios compare like with like.
#
# 1. What sampling costs the experiment: brk_pin's wall time under the
#    harness at --interval 0 (phases only), 10 ms and 1 ms.
# 2. What one sample costs on a process with 10,000 mappings.
# 3. What a heap walk costs against copying the whole heap.
set -eu
cd "$(dirname "$0")/.."
HEAPLAB=build/heaplab
REPEATS=${BENCH_REPEATS:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
echo "== heap walk against a full copy of the heap (goal: walk <= 25% of the copy, walker < 64 MiB)"
build/bench/walk brk_pin | sed 's/^/  /'
build/bench/walk swiss_cheese | sed 's/^/  /'
echo
echo "== heapview's own CPU, live view at --interval 500 on a 1 GiB heap (goal: under 5% of one core)"
# hold_freed: 262,144 x 4 KiB and a pin, either freed (1 GiB held back, one
# free chunk) or kept in use (262,146 chunks to walk). heapview runs in a
# real terminal (tmux); its utime+stime is read from /proc over three 10 s
# windows after a 3 s warm-up (the first walk reads libc's DWARF).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for mode in freed used; do
	rm -f "$tmp/ready" "$tmp/hv"
	mkfifo "$tmp/ready"
	build/tests/helpers/hold_freed 262144 "$mode" >"$tmp/ready" &
	hold=$!
	read -r _ tpid <"$tmp/ready"
	TM="tmux -L heaplab-bench-$$ -f /dev/null"
	$TM new-session -d -x 120 -y 40 "build/heapview --interval 500 $tpid"
	sleep 3
	hv=$(pgrep -n -f "build/heapview --interval 500 $tpid" || true)
	if [ -n "$hv" ]; then
		for i in 1 2 3; do
			a=$(ticks "$hv")
			s=$(date +%s%N)
			sleep 10
			b=$(ticks "$hv")
			e=$(date +%s%N)
			awk -v t=$((b - a)) -v hz="$hz" -v ns=$((e - s)) \
				'BEGIN { printf "%.2f\n", t / hz / (ns / 1e9) * 100 }' >>"$tmp/hv"
		done
		sort -n "$tmp/hv" | awk -v m="$mode" '{v[NR]=$1} END {
			printf "  1 GiB %s: heapview CPU median %.2f%% of one core (windows %s..%s%%)\n", m, v[2], v[1], v[3] }'
	else
		echo "  1 GiB $mode: heapview did not start"
	fi
	$TM kill-server 2>/dev/null || true
	kill "$hold" 2>/dev/null || true
	wait "$hold" 2>/dev/null || true
done
echo
echo "== heaplab trace against bare and heaptrack: 20M malloc/free pairs, 16..512 B, window of 10,000"
echo "   (goal: trace with stacks of depth 8 at most 3x bare, at most 8 bytes per event, at most +16 MiB peak RSS)"
ah=build/bench/alloc_heavy
for th in 1 2; do
	for i in 1 2 3; do
		$ah "$th" 20000000 >>"$tmp/ah-bare-$th"
		rm -f "$tmp/ah.trace"
		build/heaplab trace --out "$tmp/ah.trace" -- $ah "$th" 20000000 2>/dev/null >>"$tmp/ah-trace-$th"
		stat -c %s "$tmp/ah.trace" >>"$tmp/ah-bytes-$th"
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
	if [ -s "$tmp/ah-ht-$th" ]; then
		h=$(med "$tmp/ah-ht-$th" 1)
		hk=$(med "$tmp/ah-ht-$th" 2)
		awk -v b="$b" -v h="$h" -v t="$t" -v bk="$bk" -v hk="$hk" 'BEGIN {
			printf "             heaptrack %.1f ns/pair (%.2fx), peak RSS +%.1f MiB; heaplab trace is %.1fx faster\n",
				h, h / b, (hk - bk) / 1024, h / t }'
	fi
done
