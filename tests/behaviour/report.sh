#!/bin/sh
# report.sh — heaplab report on everything heaplab writes: a run walked at
# every phase (its heap maps), a heapview recording, a diagnosis, a sweep,
# incomplete runs and bad input. report.html must hold its sections, fetch
# nothing and run nothing, and render in a real browser (headless
# Chromium); report.md's links must resolve; the run's own files must not
# change; an existing report is refused without --force.
. tests/behaviour/_tap.sh
T=$T_TMP
HV=${HEAPLAB_BUILD:-build}/heapview
CHROMIUM=$(command -v chromium || command -v chromium-browser)

# sum_recorded DIR: a checksum of every file but the report's own
sum_recorded() {
	(cd "$1" && ls | grep -v -e '^report\.' -e '^report-' | xargs cat | cksum)
}
# cells DIR/heapmap-X.tsv CLASS: how many cells of that class
cells() {
	awk -F'\t' -v c="$2" '!/^#/ { for (i = 1; i <= NF; i++) if ($i == c) n++ } END { print n + 0 }' "$1"
}
# links FILE.md: every link target, one a line
links() {
	grep -o '](\([^)]*\))' "$1" | sed 's/^](\(.*\))$/\1/'
}
# column FILE ROW COLUMN: a field of report-breakdown.tsv by row and header name
column() {
	awk -F'\t' -v r="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
		NR > 1 && $1 == r { print $k }' "$1"
}
# expect_ok NAME COMMAND...: exits 0 and says nothing on stderr
expect_ok() {
	name=$1
	shift
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	[ "$got" -eq 0 ] && [ ! -s "$T_TMP/err" ]
	r=$?
	ok $r "$name: exit status 0 and no complaint (got $got)"
	[ $r -eq 0 ] || sed 's/^/#   stderr: /' "$T_TMP/err"
}
# render HTML PNG: a screenshot of HTML in headless Chromium
render() {
	timeout 120 "$CHROMIUM" --headless --disable-gpu --no-sandbox --user-data-dir="$T/chrome" \
		--hide-scrollbars --screenshot="$2" --window-size=1200,3000 "file://$1" >/dev/null 2>&1
}

# --- a run walked at every phase -------------------------------------------
$HEAPLAB run brk_pin --walk --quiet --out "$T/run" -- --blocks=20000 --hold_ms=0 >/dev/null 2>&1
ok $? "brk_pin --walk runs"
for p in allocated freed trimmed; do
	[ -s "$T/run/heapmap-$p.tsv" ] || break
done
ok $? "run --walk writes heapmap-PHASE.tsv for every phase"
grep -q '^# cell_pages=1 page_bytes=[0-9]* pages=[0-9]* heaps=1 rows=' "$T/run/heapmap-freed.tsv"
ok $? "a heap map says what a cell is (1 page at 80 MiB)"
awk -F'\t' '!/^#/ && NF != 256 { bad = 1 } END { exit bad }' "$T/run/heapmap-freed.tsv"
ok $? "every row of the heap map has 256 cells"
n=$(cells "$T/run/heapmap-freed.tsv" 1)
[ "$n" -ge 19000 ]; ok $? "freed: the freed pages are held back (class 1) in the map ($n cells)"
n=$(cells "$T/run/heapmap-trimmed.tsv" 2)
[ "$n" -ge 19000 ]; ok $? "trimmed: they are released (class 2) after malloc_trim ($n cells)"

sum=$(sum_recorded "$T/run")
ls "$T/run" >"$T/before"
expect_ok "report on a walked run" $HEAPLAB report "$T/run"
grep -q "report: $T/run/report.html" "$T/out"; ok $? "says where the report is"
H=$T/run/report.html
[ -s "$H" ] && [ -s "$T/run/report.md" ]; ok $? "report.html and report.md written"
[ "$(sum_recorded "$T/run")" = "$sum" ]; ok $? "no file the run recorded changed"
ls "$T/run" | grep -v -e '^report\.html$' -e '^report\.md$' -e '^report-' | cmp -s - "$T/before"
ok $? "the only new files are report.html, report.md and report-*"
missing=""
for id in summary verdict phases timeline breakdown heapmaps recommendations files; do
	grep -q "<section id=\"$id\">" "$H" || missing="$missing $id"
done
[ -z "$missing" ]; ok $? "sections: what ran, verdict, phases, timeline, breakdown, heap maps, recommendations, files (missing:$missing)"
grep -q '<tr><th>glibc</th><td>2\.' "$H" && grep -q '<tr><th>kernel</th><td>' "$H" &&
	grep -q 'blocks=20000' "$H"
ok $? "what ran: glibc, kernel and the parameters"
for p in allocated freed trimmed; do
	grep -q "<tr><td>$p</td><td class=\"num\">" "$H" || break
done
ok $? "the phase table has a row per phase"
grep -q 'class="verdict retention">retention: in-use fell' "$H"; ok $? "the verdict is retention"
[ "$(grep -c '<svg' "$H")" -ge 5 ]; ok $? "SVGs inline: timeline, breakdown, 3 heap maps ($(grep -c '<svg' "$H"))"
grep -q 'id="gnuplot_canvas"' "$H"; ok $? "the timeline is the run's own timeline.svg"
grep -q '<svg class="breakdown"' "$H" && grep -q 'bins, held back' "$H"; ok $? "the breakdown chart is there"
B=$T/run/report-breakdown.tsv
bin=$(column "$B" freed bin_held) rel=$(column "$B" trimmed released) tbin=$(column "$B" trimmed bin_held)
[ "$bin" -ge 80000000 ] && [ "$rel" -ge 80000000 ] && [ "$tbin" -lt 1048576 ]
ok $? "breakdown: freed holds $bin B in bins; trimmed released $rel B, bins $tbin B"
live=$(column "$B" allocated live) rss=$(column "$B" allocated rss)
[ "$live" -ge 80000000 ] && [ "$live" -le "$rss" ]; ok $? "breakdown: allocated is live ($live B of RSS $rss B)"
for p in allocated freed trimmed; do
	grep -q "<figure id=\"heapmap-$p\" class=\"heapmap\">" "$H" || break
done
ok $? "a heap map per phase"
grep -q '<path fill="#c44e52"' "$H" && grep -q '<path fill="#55a868"' "$H"
ok $? "the maps draw held-back and released pages"
releasable=$(grep -o '"releasable_bytes":[[:space:]]*[0-9]*' "$T/run/run.json" | grep -o '[0-9]*$' | sort -n | tail -1)
sed -n '/<section id="recommendations">/,/<\/section>/p' "$H" | grep 'malloc_trim(0)' | grep -q "title=\"$releasable bytes\""
ok $? "recommendation: malloc_trim(0), with the releasable bytes ($releasable)"
grep -Eq 'https?://' "$H"; [ $? -ne 0 ]; ok $? "no http:// or https:// anywhere in report.html"
grep -Eqi '<script|<(img|iframe|link|object|embed)[ >]| on(load|click|error)=' "$H"; [ $? -ne 0 ]
ok $? "no script, no fetched resource"
M=$T/run/report.md
bad=0
for l in $(links "$M"); do [ -e "$T/run/$l" ] || { echo "# broken link: $l"; bad=1; }; done
[ $bad -eq 0 ] && [ "$(links "$M" | wc -l)" -ge 20 ]; ok $? "report.md: every link resolves ($(links "$M" | wc -l) links)"
for png in timeline.png report-breakdown.png report-heapmap-allocated.png report-heapmap-freed.png \
	report-heapmap-trimmed.png; do
	grep -q "^!\[[^]]*\]($png)" "$M" || break
	head -c 8 "$T/run/$png" | od -An -c | grep -q 'P   N   G' || break
done
ok $? "report.md shows the timeline, the breakdown and the heap maps as PNGs"

# --- rendered by a browser ------------------------------------------------
if [ -n "$CHROMIUM" ]; then
	timeout 120 "$CHROMIUM" --headless --disable-gpu --no-sandbox --user-data-dir="$T/chrome" \
		--dump-dom "file://$H" >"$T/dom" 2>/dev/null
	missing=""
	for id in verdict phases timeline breakdown heapmap-freed recommendations; do
		grep -q "id=\"$id\"" "$T/dom" || missing="$missing $id"
	done
	[ -z "$missing" ] && [ "$(grep -c '<svg' "$T/dom")" -ge 5 ]
	ok $? "Chromium's DOM has the sections and the SVGs (missing:$missing)"
	printf '<!DOCTYPE html><html><body></body></html>\n' >"$T/empty.html"
	render "$T/empty.html" "$T/empty.png"
	t0=$(date +%s%N)
	render "$H" "$T/shot.png"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# chromium rendered report.html in $ms ms"
	s=$(wc -c <"$T/shot.png" 2>/dev/null || echo 0) e=$(wc -c <"$T/empty.png" 2>/dev/null || echo 0)
	[ "$s" -gt 50000 ] && [ "$e" -gt 0 ] && [ "$s" -gt $((e * 4)) ]
	ok $? "the screenshot is not blank ($s bytes against $e for an empty page)"
else
	ok 1 "chromium is installed (make deps installs it)"
fi

# --- an existing report ----------------------------------------------------
hsum=$(cksum <"$H")
expect_run "report again" 2 "already has a report" $HEAPLAB report "$T/run"
[ "$(cksum <"$H")" = "$hsum" ]; ok $? "report again: report.html unchanged"
grep -q -- "--force" "$T/err"; ok $? "report again: names --force"
echo stale >"$H"
expect_ok "report --force" $HEAPLAB report --force "$T/run"
grep -q '<section id="heapmaps">' "$H"; ok $? "--force: report.html written anew"
[ "$(sum_recorded "$T/run")" = "$sum" ]; ok $? "--force: the run's files still unchanged"

# --- links planted where the report's pictures go -------------------------
cp -r "$T/run" "$T/sym"
rm -f "$T/sym"/report.html "$T/sym"/report.md "$T/sym"/report-*
echo precious >"$T/precious"
ln -s "$T/precious" "$T/sym/report-breakdown.png"
ln -s run.json "$T/sym/report-heapmap-freed.png"
rsum=$(cksum <"$T/sym/run.json")
expect_run "a report-* link already there" 2 "already has a report" $HEAPLAB report "$T/sym"
expect_ok "report --force over planted links" $HEAPLAB report --force "$T/sym"
[ "$(cat "$T/precious")" = precious ]; ok $? "--force: the file a link pointed at is untouched"
[ "$(cksum <"$T/sym/run.json")" = "$rsum" ]; ok $? "--force: run.json, pointed at by a link, untouched"
[ ! -L "$T/sym/report-breakdown.png" ] && head -c 4 "$T/sym/report-breakdown.png" | grep -q PNG
ok $? "--force: the link replaced by the report's own PNG"

# --- incomplete: no samples.tsv, no plots -----------------------------------
mkdir "$T/inc"
(cd "$T/run" && ls | grep -v -e '^report' -e '^samples\.tsv$' -e '^timeline\.' | xargs -I{} cp {} "$T/inc/")
expect_ok "report without samples.tsv and plots" $HEAPLAB report "$T/inc"
grep -q '<section id="missing">' "$T/inc/report.html" && grep -q 'samples.tsv is missing' "$T/inc/report.html"
ok $? "without samples.tsv: the report says it is missing"
grep -q 'No timeline: timeline.svg and samples.tsv are missing' "$T/inc/report.html" &&
	grep -q 'samples.tsv is missing' "$T/inc/report.md"
ok $? "and that there is no timeline (html and md)"
grep -q '<figure id="heapmap-freed"' "$T/inc/report.html"; ok $? "and still shows what exists"
$HEAPLAB run "$HELPERS/lab_dies" --quiet --out "$T/killed" >/dev/null 2>&1
expect_ok "report on a killed run" $HEAPLAB report "$T/killed"
grep -q 'the run is incomplete: killed by signal 9' "$T/killed/report.html"; ok $? "killed: says it is incomplete, and why"
grep -q '<tr><td>started</td>' "$T/killed/report.html"; ok $? "killed: the phase it reached is in the table"

# --- without gnuplot: report.html is whole, report.md says what it lacks ---
mkdir "$T/np" "$T/nobin"
(cd "$T/run" && ls | grep -v -e '^report' | xargs -I{} cp {} "$T/np/")
expect_ok "report without gnuplot" env PATH="$T/nobin" $HEAPLAB report "$T/np"
[ "$(grep -c '<svg' "$T/np/report.html")" -ge 5 ] && [ ! -e "$T/np/report-breakdown.png" ]
ok $? "without gnuplot: every chart inline in report.html, no PNG drawn"
grep -q 'gnuplot is not installed' "$T/np/report.html" &&
	grep -q '(no PNG of this picture; report.html shows it)' "$T/np/report.md"
ok $? "without gnuplot: said, and report.md says which pictures have no PNG"

# --- a heapview recording ---------------------------------------------------
"$HELPERS/hold_freed" 3000 >"$T/hf.out" &
hpid=$!
i=0; while ! grep -q ready "$T/hf.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
$HV --record "$T/rec" --interval 50 --duration 1 "$hpid" >/dev/null 2>&1
ok $? "heapview --record"
kill "$hpid"
[ -s "$T/rec/heapmap-start.tsv" ] && [ -s "$T/rec/heapmap-end.tsv" ]; ok $? "--record writes a heap map at start and end"
expect_ok "report on a recording" $HEAPLAB report "$T/rec"
R=$T/rec/report.html
grep -q '<figure id="heapmap-start"' "$R" && grep -q '<figure id="heapmap-end"' "$R"; ok $? "recording: heap maps at start and end"
n=$(cells "$T/rec/heapmap-end.tsv" 1)
[ "$n" -ge 2900 ]; ok $? "recording: the 3000 freed blocks are held back in the map ($n cells)"
[ -s "$T/rec/report-timeline.svg" ] && grep -q 'drawn for this report from samples.tsv' "$R"
ok $? "recording: the timeline drawn from samples.tsv, and said so"
grep -Eq 'https?://|<script' "$R"; [ $? -ne 0 ]; ok $? "recording: nothing fetched, no script"

# --- a diagnosis ------------------------------------------------------------
# shares of RSS are rounded, not cut: 67,108,864 of the fixture's RSS is 6.1%
rm -rf "$T/dgr" && cp -r tests/fixtures/diagnosis "$T/dgr" && $HEAPLAB report "$T/dgr" >/dev/null 2>&1
grep -q 'mmapped_chunks</td><td class="num" title="67108864 bytes">64.0 MiB</td><td class="num">6.1%' "$T/dgr/report.html"
ok $? "a part's share of RSS is rounded (6.1%, not 6.0%)"

# a diagnosis whose verdict kind would break out of its attribute
cp -r tests/fixtures/diagnosis "$T/diaghost"
sed -i 's/"kind": *"retention"/"kind": "\\"><img src=\/\/e.example\/x>"/' "$T/diaghost/diagnosis.json"
grep -q 'img src' "$T/diaghost/diagnosis.json"; ok $? "hostile verdict kind planted"
$HEAPLAB report "$T/diaghost" >/dev/null 2>&1
[ -s "$T/diaghost/report.html" ] && ! grep -q '<img' "$T/diaghost/report.html"
ok $? "a verdict kind cannot add an element to report.html"
cp -r tests/fixtures/diagnosis "$T/diag"
expect_ok "report on a diagnosis" $HEAPLAB report "$T/diag"
D=$T/diag/report.html
grep -q 'diagnosis of pid 4242 (cache-server --port 6379)' "$D"; ok $? "diagnosis: names the process"
grep -q '<td>call malloc_trim(0) after the cache eviction</td><td class="num" title="801112064 bytes">764.0 MiB</td><td>764 MiB of free chunks in the bins are resident &amp; releasable; malloc_trim gives back whole pages inside them &lt;not the address space&gt;</td>' "$D"
ok $? "diagnosis: its recommendation word for word, with its bytes"
grep -q 'set glibc.malloc.mmap_threshold=131072' "$D" &&
	grep -qF 'set glibc.malloc.mmap\_threshold=131072' "$T/diag/report.md"
ok $? "diagnosis: every recommendation, in html and md"
grep -q 'class="verdict retention">retention: live bytes stayed near 200 MiB' "$D"; ok $? "diagnosis: its verdict"
grep -q '<svg class="breakdown"' "$D" && grep -q '<svg class="watch"' "$D"; ok $? "diagnosis: breakdown and watch charts"
[ "$(column "$T/diag/report-breakdown.tsv" now bin_held)" = 805306368 ]; ok $? "diagnosis: bin_held is the bins' bar"
grep -q 'RSS went from 1.0 GiB to 292.0 MiB' "$D"; ok $? "diagnosis: the trim's before and after"
bad=0
for l in $(links "$T/diag/report.md"); do [ -e "$T/diag/$l" ] || bad=1; done
[ $bad -eq 0 ]; ok $? "diagnosis: report.md's links resolve"

# --- a sweep ---------------------------------------------------------------
$HEAPLAB sweep brk_pin --param pin=0,1 --out "$T/sweep" -- --blocks=2000 --hold_ms=0 >/dev/null 2>&1
ok $? "a sweep of two configurations"
expect_ok "report on a sweep" $HEAPLAB report "$T/sweep"
S=$T/sweep/report.html
[ "$(grep -c '<tr><td>[12]</td><td>pin=[01]</td>' "$S")" -eq 2 ]; ok $? "sweep: a row per configuration"
grep -q '<section id="sweep-rss">' "$S" && grep -q '<section id="sweep-timeline">' "$S"; ok $? "sweep: its plots inline"
sed -n '/<section id="recommendations">/,/<\/section>/p' "$S" | grep -q "Prefer &#39;pin=0&#39;.*at phase &#39;freed&#39;"
ok $? "sweep: recommends the configuration with the lower RSS where they differ ('freed')"

# --- bad input: a clear message, exit 2, nothing written --------------------
mkdir "$T/notrun" && echo keep >"$T/notrun/notes.txt"
expect_run "not a run directory" 2 "holds no run.json, sweep.json or diagnosis.json" $HEAPLAB report "$T/notrun"
[ "$(ls "$T/notrun")" = notes.txt ]; ok $? "not a run directory: nothing written"
expect_run "no such directory" 2 "does not exist" $HEAPLAB report "$T/nope"
[ ! -e "$T/nope" ]; ok $? "no such directory: not created"
expect_run "a file" 2 "is not a directory" $HEAPLAB report "$T/notrun/notes.txt"
mkdir "$T/damaged" && printf '{"schema_version": 1, "experiment": ' >"$T/damaged/run.json"
expect_run "a damaged run.json" 2 "run.json is not JSON" $HEAPLAB report "$T/damaged"
[ "$(ls "$T/damaged")" = run.json ]; ok $? "damaged run.json: nothing written"
mkdir "$T/otherdiag" && echo '{"format": "something-else", "version": 1}' >"$T/otherdiag/diagnosis.json"
expect_run "a diagnosis.json of another format" 2 "not \"heaplab-diagnosis\"" $HEAPLAB report "$T/otherdiag"
expect_run "no directory" 2 "report needs a directory" $HEAPLAB report
expect_run "unknown option" 2 "unknown option '--bogus'" $HEAPLAB report --bogus "$T/run"
$HEAPLAB report --help >"$T/help" 2>&1
ok $? "--help exits 0"
grep -q '^usage: heaplab report \[--force\] DIR' "$T/help"; ok $? "--help prints the usage"
$HEAPLAB --help | grep -q '^  report '; ok $? "heaplab --help lists report"

done_testing
