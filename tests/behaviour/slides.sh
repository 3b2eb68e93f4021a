#!/bin/sh
# slides.sh — heaplab run --slides DIR: brk_pin with small parameters gives
# one PNG and one SVG per phase, valid (PNG magic; the SVG parses and its
# caption carries this run's figures: the phase's RSS from run.json, the
# pin's address from slides.tsv), slides.tsv in the run directory lists
# them, heaplab report links them; a --slides directory that is not empty
# is refused before anything runs.
. tests/behaviour/_tap.sh
T=$T_TMP

$HEAPLAB run brk_pin --out "$T/run" --slides "$T/run/slides" -- --blocks=3000 --hold_ms=0 >"$T/out" 2>&1
ok $? "heaplab run brk_pin --slides: exit 0"
grep -q "^slides: 3 in $T/run/slides (listed in $T/run/slides.tsv)" "$T/out"; ok $? "it says where the 3 slides are"
for p in 01-allocated 02-freed 03-trimmed; do
	head -c 8 "$T/run/slides/$p.png" | od -An -c | grep -q 'P   N   G'; ok $? "$p.png is a PNG"
	[ -s "$T/run/slides/$p.gp" ]; ok $? "$p.gp, its script, is beside it"
done
[ "$(ls "$T"/run/slides/*.png | wc -l)" -eq 3 ] && [ "$(ls "$T"/run/slides/*.svg | wc -l)" -eq 3 ]
ok $? "one PNG and one SVG per phase, no more"
[ "$(wc -l <"$T/run/slides.tsv")" -eq 4 ]; ok $? "slides.tsv: a header and a row per phase"

# the captions against this run's own figures
python3 - "$T/run" >"$T/check" <<'EOF'
import json, re, sys, xml.etree.ElementTree as ET
run = sys.argv[1]
r = json.load(open(run + "/run.json"))
ph = {p["name"]: p for p in r["phases"]}
rows = [l.rstrip("\n").split("\t") for l in open(run + "/slides.tsv")][1:]
def mib(b):
    return "%.1f MiB" % (b / 1048576.0)
def ok(c, what):
    print(("PASS " if c else "FAIL ") + what)
for name, png, svg, cap in rows:
    try:
        tree = ET.parse(run + "/" + svg)
        text = " ".join(t for t in tree.getroot().itertext())
        ok(True, "%s: the SVG parses" % svg)
    except Exception as e:
        ok(False, "%s: the SVG parses (%s)" % (svg, e))
        continue
    ok(png == "slides/%s.png" % svg[7:-4], "%s: slides.tsv names its PNG relative to the run" % name)
    first = cap.split(" / ")[0]
    ok(first[:60] in text, "%s: the SVG has the caption's first line: %s" % (name, first[:60]))
    rss = mib(ph[name]["rss_bytes"])
    said = re.search(r"RSS (still )?([0-9.]+ [KMG]iB)", cap)
    ok(said and said.group(2) == rss and said.group(0) in text,
       "%s: the caption's RSS is run.json's (%s), in the SVG too" % (name, rss))
freed = [c for n, _, _, c in rows if n == "freed"][0]
ok("3000 blocks" in [c for n, _, _, c in rows if n == "allocated"][0], "allocated: the run's --blocks=3000")
ok(" freed; RSS still " in freed and "the 32 B chunk at 0x" in freed, "freed: what was freed, the 32 B pin and its address")
addr = freed.split("the 32 B chunk at 0x")[1].split(" ")[0]
svg = open(run + "/slides/02-freed.svg").read()
ok(("pin (P): 32 B at 0x" + addr) in svg, "freed: the SVG marks that pin (0x%s)" % addr)
ok("cells changed since &apos;allocated&apos;" in svg or "cells changed since 'allocated'" in svg,
   "freed: the SVG counts the cells changed since 'allocated'")
EOF
ok_lines "$T/check"
grep -c '^PASS' "$T/check" | grep -q '^1[0-9]$'; ok $? "every check ran ($(grep -c '^PASS' "$T/check") passed)"

$HEAPLAB report "$T/run" >/dev/null 2>&1; ok $? "heaplab report on the run"
for p in 01-allocated 02-freed 03-trimmed; do
	grep -q "<a href=\"slides/$p.png\">PNG</a> · <a href=\"slides/$p.svg\">SVG</a>" "$T/run/report.html"
	ok $? "report.html links $p's PNG and SVG"
	grep -q "(slides/$p.png)" "$T/run/report.md"; ok $? "report.md links $p.png"
done

# a --slides directory with something in it: refused, nothing run
mkdir -p "$T/busy" && touch "$T/busy/x"
expect_run "--slides into a non-empty directory" 2 "--slides $T/busy is not empty" \
	$HEAPLAB run brk_pin --out "$T/run2" --slides "$T/busy" -- --blocks=10
[ ! -e "$T/run2" ]; ok $? "and no run directory was made"

done_testing
