#!/bin/sh
# prescribe.sh — heaplab prescribe on a trace of a retaining program
# (brk_pin: 64 MiB freed under a 2-byte pin that ends in tcache): the best
# candidate's measured saving against brk_pin itself run with that fix;
# a fixed mmap threshold on 4 KiB blocks saves under 5%; bad input.
. tests/behaviour/_tap.sh
T=$T_TMP

$HEAPLAB trace --out "$T/bp.trace" -- build/experiments/brk_pin --blocks=16384 --trim=0 >/dev/null 2>&1
ok $? "brk_pin traced"
$HEAPLAB prescribe "$T/bp.trace" --json --out "$T/pr" >"$T/pr.json" 2>"$T/err"
ok $? "prescribe: exit 0"
grep -q "\[1/16\] baseline" "$T/err"; ok $? "prescribe: a progress line per replay"
[ -s "$T/pr/prescribe.json" ] && [ -s "$T/pr/sweep.json" ] && [ -d "$T/pr/01-baseline" ]
ok $? "prescribe: prescribe.json, sweep.json and a run per candidate in DIR"
$HEAPLAB run brk_pin --quiet --out "$T/self" -- --blocks=16384 --trim=1 >/dev/null 2>&1
ok $? "brk_pin itself, with malloc_trim(0) after the free"
/usr/bin/python3 - "$T/pr.json" "$T/self/run.json" >"$T/py.out" 2>&1 <<'PY'
import json, sys
p, run = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def ok(c, what): print("PASS" if c else "FAIL", what)
b = p["baseline"]
ok(all(k in b for k in ("rss_peak_bytes", "rss_end_bytes", "wall_s")), "baseline has rss_peak_bytes, rss_end_bytes, wall_s")
cands = [c for c in p["candidates"] if "skipped" not in c]
ok(all(all(k in c for k in ("name", "setting", "rss_peak_bytes", "rss_end_bytes", "saving_bytes", "wall_ratio")) for c in cands),
   "every candidate has name, setting, rss_peak_bytes, rss_end_bytes, saving_bytes, wall_ratio")
ok(all(c["saving_bytes"] == b["rss_end_bytes"] - c["rss_end_bytes"] for c in cands), "saving_bytes = baseline end - its end")
ok([c["saving_bytes"] for c in cands] == sorted((c["saving_bytes"] for c in cands), reverse=True), "ranked by saving")
best = cands[0]
ok(best["name"].startswith("trim-") or best["name"].startswith("mimalloc"), "the best is a trim or a returning allocator (%s)" % best["name"])
ph = {x["name"]: x["rss_bytes"] for x in run["phases"]}
own = ph["freed"] - ph["trimmed"]
trim = [c for c in cands if c["name"] == "trim-idle"][0]
ok(abs(trim["saving_bytes"] - own) <= own / 10,
   "trim-idle saves %d, brk_pin's own malloc_trim %d: within 10%%" % (trim["saving_bytes"], own))
mm = [c for c in cands if c["name"] == "mmap_threshold=131072"][0]
ok(mm["saving_bytes"] < b["rss_end_bytes"] / 20, "a fixed mmap threshold on 4 KiB blocks saves under 5%% (%d)" % mm["saving_bytes"])
PY
ok $? "the comparison ran"
ok_lines "$T/py.out"

# Where MALLOC_ARENA_MAX helps (threads taking turns, each in its own arena
# by default): diagnose gives no figure, only a bound; prescribe measures
# it, and agrees with the program itself run with arena_max=2 within 10%.
for tun in "" "glibc.malloc.arena_max=2"; do
	GLIBC_TUNABLES=$tun $HELPERS/arena_turns >"$T/at.out" &
	apid=$!
	i=0
	while ! grep -q ready "$T/at.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	$HEAPLAB diagnose --json $apid >"$T/at${tun:+-max2}.json" 2>/dev/null
	kill $apid
	wait $apid 2>/dev/null
done
$HEAPLAB trace --out "$T/at.trace" -- $HELPERS/arena_turns 4 --exit >/dev/null 2>&1
ok $? "arena_turns traced"
$HEAPLAB prescribe "$T/at.trace" --only arena_max=2 --json --out "$T/atp" >"$T/atp.json" 2>/dev/null
ok $? "prescribe --only arena_max=2"
/usr/bin/python3 - "$T/at.json" "$T/at-max2.json" "$T/atp.json" >"$T/py.out" 2>&1 <<'PY'
import json, sys
d, d2, p = (json.load(open(f)) for f in sys.argv[1:4])
def ok(c, what): print("PASS" if c else "FAIL", what)
r = [x for x in d["recommendations"] if x["action"] == "MALLOC_ARENA_MAX=2"]
ok(r and r[0]["bytes"] is None and "at most" in r[0]["why"], "diagnose: MALLOC_ARENA_MAX=2 unknown, with its bound")
own = d["rss_bytes"] - d2["rss_bytes"]
c = [x for x in p["candidates"] if x["name"] == "arena_max=2"][0]
ok(own > 8 << 20 and abs(c["saving_bytes"] - own) <= own / 10,
   "prescribe measures arena_max=2 saving %d, the program itself %d: within 10%%" % (c["saving_bytes"], own))
PY
ok $? "the arena_max comparison ran"
ok_lines "$T/py.out"

# a trace cut short: what is valid is replayed, and said
head -c 90000 "$T/bp.trace" >"$T/cut.trace"
$HEAPLAB prescribe "$T/cut.trace" --only trim-idle --out "$T/cut" >"$T/out" 2>"$T/err"
ok $? "a cut trace: exit 0"
grep -q "reading\|cut short\|no end record" "$T/err" && grep -q "note: the trace was cut short" "$T/out"
ok $? "a cut trace: says it replayed the valid part"
# heaplab report renders the prescription: its ranking, then the runs
$HEAPLAB report "$T/pr" >/dev/null 2>&1
ok $? "heaplab report DIR on a prescribe directory"
grep -q "^# heaplab report: prescription for " "$T/pr/report.md" &&
	grep -q "^## Which fix gives memory back" "$T/pr/report.md" &&
	grep -q -F "| trim-idle | malloc\\_trim(0) at the trace's idle points" "$T/pr/report.md" &&
	grep -q '<section id="prescription">' "$T/pr/report.html"
ok $? "the report has the ranking (the best, trim-idle, first), in HTML and Markdown"

# an allocator not installed: skipped, its package named (HEAPLAB_ALLOCATOR_DIR
# holds jemalloc only)
mkdir "$T/libs"
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
	[ -e "$d/libjemalloc.so.2" ] && ln -s "$d/libjemalloc.so.2" "$T/libs/" && break
done
HEAPLAB_ALLOCATOR_DIR="$T/libs" $HEAPLAB prescribe "$T/bp.trace" --only jemalloc,tcmalloc --json \
	--out "$T/few" >"$T/few.json" 2>"$T/err"
ok $? "an allocator missing: exit 0"
grep -q "skipping tcmalloc: .*apt-get install libtcmalloc-minimal4" "$T/err"
ok $? "an allocator missing: skipped, its package named"
grep -q '"skipped":.*libtcmalloc-minimal4' "$T/few.json" && grep -q '"name":[[:space:]]*"jemalloc"' "$T/few.json"
ok $? "an allocator missing: said so in the JSON, the others measured"

# a trace of another format version
# (the header's magic, then version 99 where the version is)
{ head -c 8 "$T/bp.trace"; printf '\143\0\0\0'; tail -c +13 "$T/bp.trace"; } >"$T/v.trace"
expect_run "a trace of another version" 2 "is a version 99 trace; this heaplab reads version" $HEAPLAB prescribe "$T/v.trace" --out "$T/v"
expect_run "an unknown candidate" 2 "no candidate 'nope'" $HEAPLAB prescribe "$T/bp.trace" --only nope
expect_run "no trace" 2 "prescribe needs a trace" $HEAPLAB prescribe
expect_run "DIR in use" 2 "not empty\|already\|holds" $HEAPLAB prescribe "$T/bp.trace" --out "$T/pr"
done_testing
