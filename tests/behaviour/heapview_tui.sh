#!/bin/sh
# heapview_tui.sh — the real live view, in a real terminal (tmux), read back
# with capture-pane: on an experiment it shows the legend, the figures and a
# map that changes at a phase; space, +, s, t and q do what they say; the
# terminal is restored after q, also after the target exited; a foreign PID
# is never trimmed; a too-small terminal is told so and recovers on resize;
# NO_COLOR keeps the glyphs and drops the colours.
. tests/behaviour/_tap.sh
T=$T_TMP
HV=${HEAPLAB_BUILD:-build}/heapview
TM_NAME=test
. tests/behaviour/_tmux.sh

# The pane runs heapview, then says how it ended and whether the terminal
# is back in its cooked mode (icanon, echo), then waits to be read.
start() { # session cols rows heapview-args...
	s=$1 c=$2 r=$3
	shift 3
	printf '%s ' "$@" >"$T/$s.args"
	$TM new-session -d -s "$s" -x "$c" -y "$r" \
		"$HV $(cat "$T/$s.args"); echo heapview-exit \$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e echo | tr '\n' ' '; echo; sleep 600"
}

# --- an experiment: brk_pin, each phase held 1.5 s -----------------------
start e 80 24 --experiment brk_pin --out "$T/run" --save-dir "$T/saves" -- --blocks=20000 --hold_ms=1500
wait_for e "phase allocated" 20; ok $? "experiment: the phase 'allocated' is named"
cap e >"$T/e1"
grep -q '^# used  \{0,1\}o free, held back  \{0,1\}\. free, released  \{0,1\}= top, held back  \{0,1\}_ top, released  \{0,1\}P pin' "$T/e1"
ok $? "the legend names every glyph"
grep -q "^RSS [0-9.]*M  VSZ [0-9.]*M  live ~\{0,1\}[0-9.]*M  RSS/live" "$T/e1"; ok $? "RSS, VSZ, live (~: sampled), ratio"
grep -q "^held back .*released .*releasable .*tcache .*fastbins" "$T/e1"; ok $? "held back, released, releasable, tcache, fastbins"
grep -q "mmap_threshold 128.0K  trim_threshold 128.0K" "$T/e1"; ok $? "the live thresholds"
grep -q "^maps .*H" "$T/e1"; ok $? "the address-space strip shows the brk heap"
grep -q "^arena 1/1 main" "$T/e1"; ok $? "the map names the arena"
map_rows e | grep -q '#####'; ok $? "allocated: the map is used pages (#)"
map_rows e | grep -q 'ooooo'; [ $? -ne 0 ]; ok $? "allocated: no held-back pages yet"

wait_for e "phase freed" 10; ok $? "the phase 'freed' is named as it happens"
sleep 0.3
map_rows e | grep -q 'oooooooooo'; ok $? "freed: the map changed to held-back pages (o)"
cap e | grep -q "^held back [1-9][0-9]\.[0-9]M"; ok $? "freed: tens of MiB held back"

key e " "
wait_for e "  paused$" 3; ok $? "space pauses (the title says so)"
key e " "
wait_for e "resumed" 3; ok $? "space again resumes"

z0=$(cap e | grep -o 'cell [0-9]* page')
key e "+"
wait_for e "zoom: " 3; ok $? "+ zooms (said on the status line)"
z1=$(cap e | grep -o 'cell [0-9]* page')
[ -n "$z0" ] && [ "$z0" != "$z1" ]; ok $? "+ changes the pages per cell ($z0 -> $z1)"

key e "s"
wait_for e "saved $T/saves/" 10; ok $? "s saves into the save directory"
d=$(ls -d "$T"/saves/* 2>/dev/null | head -1)
[ -s "$d/snapshot.json" ] && [ -s "$d/heapmap.tsv" ] && [ -s "$d/heapmap.png" ]
ok $? "snapshot.json, heapmap.tsv and heapmap.png"
grep -q '"held_back_bytes"' "$d/snapshot.json"; ok $? "the JSON is the snapshot's"
head -c 8 "$d/heapmap.png" | od -An -c | grep -q 'P   N   G'; ok $? "heapmap.png is a PNG"

wait_for e "exited" 15; ok $? "the experiment ends: the title says exited"
cap e | grep -q "phase trimmed"; ok $? "its last phase 'trimmed' stays named"
map_rows e | grep -q '\.\.\.\.\.\.\.\.'; ok $? "the last frame stays: released pages (.) after the trim"
key e "q"
wait_for e "heapview-exit 0" 5; ok $? "q after the target exited: exit 0"
wait_for e "^icanon echo" 3; ok $? "and the terminal is restored (icanon, echo)"
cap e | grep -q "^# used"; [ $? -ne 0 ]; ok $? "the screen is the shell's again"
[ -s "$T/run/run.json" ]; ok $? "heaplab run wrote its run directory"

# --- a command heapview starts: t trims it through the agent -------------
start c 80 24 -- "$HELPERS/hold_freed" 4000
wait_for c "oooooooooo" 10; ok $? "-- COMMAND: its freed blocks show as held back"
pid=$(cap c | sed -n 's/^heapview  pid \([0-9]*\) .*/\1/p')
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; ok $? "the title names its pid ($pid)"
grep -q libheaplab-trim "/proc/$pid/maps"; ok $? "the trim agent is loaded in it"
key c "t"
wait_for c "malloc_trim(0) in pid $pid released memory: RSS" 10; ok $? "t: malloc_trim(0) ran in the target"
map_rows c | grep -q 'oooooooooo'; [ $? -ne 0 ]; ok $? "t: no held-back run left"
map_rows c | grep -q '\.\.\.\.\.\.\.\.\.\.'; ok $? "t: the pages went from held back to released"
key c "q"
wait_for c "heapview-exit 0" 5; ok $? "q exits 0"
wait_for c "^icanon echo" 3; ok $? "the terminal is restored"
sleep 0.2
kill -0 "$pid" 2>/dev/null; [ $? -ne 0 ]; ok $? "the command heapview started is ended"

# --- a foreign PID: never trimmed without the explicit flag --------------
"$HELPERS/hold_freed" 2000 >"$T/f.out" &
fpid=$!
i=0; while [ ! -s "$T/f.out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start f 80 24 "$fpid"
wait_for f "oooooooooo" 10; ok $? "PID: a running process is watched"
key f "t"
wait_for f "heapview did not start pid $fpid" 5; ok $? "t on a foreign PID is refused, and says why"
map_rows f | grep -q 'oooooooooo'; ok $? "nothing was trimmed"
key f "q"
wait_for f "heapview-exit 0" 5; ok $? "q exits 0"
kill -0 "$fpid" 2>/dev/null; ok $? "the watched process keeps running"
kill "$fpid"

# --- the target exits while watched --------------------------------------
start x 80 24 -- /bin/sleep 1
wait_for x "exited (status 0)" 10; ok $? "a target that exits: 'exited (status 0)' in the title"
cap x | grep -q "^# used"; ok $? "the last frame stays"
key x "q"
wait_for x "heapview-exit 0" 5; ok $? "q exits 0"
wait_for x "^icanon echo" 3; ok $? "the terminal is restored"

# --- too small, then resized --------------------------------------------
"$HELPERS/hold_freed" 100 >"$T/s.out" &
spid=$!
i=0; while [ ! -s "$T/s.out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start s 60 20 "$spid"
wait_for s "terminal too small: 60x20, heapview needs 80x24" 5; ok $? "60x20: says it is too small"
$TM resize-window -t s -x 90 -y 30
wait_for s "^# used" 5; ok $? "resized to 90x30: the view comes back"
cap s | grep -q "^# used" && [ "$(cap s | wc -l)" -eq 30 ]; ok $? "and fills 30 rows"

# --- NO_COLOR: glyphs, no colours ---------------------------------------
$TM capture-pane -e -p -t s | grep -q "$(printf '\033')\[3[1-6]m"; ok $? "with colour: the map is coloured"
key s "q"
wait_for s "heapview-exit 0" 5
$TM kill-session -t s
$TM new-session -d -s n -x 80 -y 24 "NO_COLOR=1 $HV $spid; sleep 600"
wait_for n "^# used  \{0,1\}o free" 5; ok $? "NO_COLOR: the legend and glyphs are there"
$TM capture-pane -e -p -t n | grep -q "$(printf '\033')\[3[1-6]m"; [ $? -ne 0 ]; ok $? "NO_COLOR: no colour at all"
key n "q"
kill "$spid"

done_testing
