#!/bin/sh
# openmetrics.sh — heaplab diagnose --format openmetrics: parsed by the
# OpenMetrics parser of prometheus_client (python3-prometheus-client, the
# strict grammar), and every gauge equal to the same figure in --json of
# the same held process; --out FILE written whole through a rename.
. tests/behaviour/_tap.sh
T=$T_TMP

HEAPLAB_STAY_AT=freed build/experiments/brk_pin --blocks=16384 2>/dev/null &
pid=$!
sleep 0.5
$HEAPLAB diagnose --format openmetrics "$pid" >"$T/m.txt" 2>"$T/err"
ok $? "diagnose --format openmetrics: exit 0"
$HEAPLAB diagnose --json "$pid" >"$T/d.json" 2>>"$T/err"
ok $? "diagnose --json of the same process"
echo 'stale' >"$T/out.prom"
$HEAPLAB diagnose --format openmetrics --out "$T/out.prom" "$pid" 2>>"$T/err"
ok $? "--out FILE: exit 0"
[ "$(tail -n 1 "$T/out.prom")" = "# EOF" ] && ! grep -q stale "$T/out.prom"
ok $? "--out FILE: replaced whole, ending in # EOF"
[ -z "$(ls "$T" | grep 'out.prom.tmp')" ]; ok $? "--out FILE: no temporary file left"
kill $pid 2>/dev/null
wait $pid 2>/dev/null

/usr/bin/python3 - "$T/m.txt" "$T/d.json" "$pid" >"$T/py.out" 2>&1 <<'PY'
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text, doc, pid = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
def ok(cond, what):
    print("PASS" if cond else "FAIL", what)
try:
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    ok(True, "the OpenMetrics parser accepts it (%d families)" % len(fams))
except Exception as e:
    ok(False, "the OpenMetrics parser accepts it: %s" % e)
    fams = {}
def value(name, **labels):
    f = fams.get(name)
    for s in (f.samples if f else []):
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None
every = [s for f in fams.values() for s in f.samples]
ok(every and all(s.labels.get("pid") == pid and s.labels.get("comm") == "brk_pin" for s in every),
   "every sample labelled pid=%s comm=brk_pin" % pid)
ok(all(f.unit == "bytes" for name, f in fams.items() if name.endswith("_bytes")),
   "every *_bytes family has UNIT bytes")
for name, b in doc["parts"].items():
    if name == "heap_not_walked":
        continue
    got = value("heaplab_rss_part_bytes", part=name)
    close = got == b if name not in ("file", "other_anon", "stacks", "other") else got is not None and abs(got - b) <= max(65536, b // 100)
    ok(close, "part %s: %s as in the JSON (%s)" % (name, got, b))
ok(value("heaplab_releasable_bytes") == doc["releasable_bytes"], "releasable as in the JSON (%s)" % doc["releasable_bytes"])
ok(value("heaplab_mmap_threshold_bytes") == doc["mmap_threshold"], "mmap_threshold as in the JSON")
for i, a in enumerate(doc["arenas"]):
    for key in ("held_back_bytes", "releasable_bytes", "live_bytes", "system_bytes"):
        if key in a:
            ok(value("heaplab_arena_" + key, arena=str(i)) == a[key], "arena %d %s as in the JSON (%s)" % (i, key, a[key]))
pin = doc["pins"][0] if doc.get("pins") else None
ok(pin and value("heaplab_pin_gives_back_bytes", arena="0") == pin["gives_back_bytes"], "the pin's gives_back as in the JSON")
PY
r=$?
[ $r -eq 0 ]; ok $? "the comparison ran (python3-prometheus-client)"
[ $r -eq 0 ] || sed 's/^/#   /' "$T/py.out"
ok_lines "$T/py.out"

# a process that cannot be walked (musl's libc, not glibc): heaplab_walked 0
# and no heap gauges, never zeros that read as measured
printf '#include <stdlib.h>\n#include <unistd.h>\nint main(void) { char *volatile p = malloc(1 << 20); p[0] = 1; pause(); return 0; }\n' >"$T/m.c"
musl-gcc -o "$T/musl" "$T/m.c"
"$T/musl" &
mpid=$!
sleep 0.3
$HEAPLAB diagnose --format openmetrics $mpid >"$T/s.txt" 2>/dev/null
grep -q "^heaplab_walked{pid=\"$mpid\",comm=\"musl\"} 0$" "$T/s.txt"; ok $? "musl: heaplab_walked 0"
! grep -q "^heaplab_held_back_bytes\|^heaplab_arena_" "$T/s.txt" && grep -q '^# EOF$' "$T/s.txt"
ok $? "musl: no heap gauges, and the text still ends in # EOF"
kill $mpid
expect_run "--format bad" 2 "--format takes text, json or openmetrics" $HEAPLAB diagnose --format xml 1
done_testing
