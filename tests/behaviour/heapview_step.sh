#!/bin/sh
# heapview_step.sh — teaching mode in a real terminal (tmux), read back with
# capture-pane: heapview --experiment brk_pin --step stops at the first
# phase and stays there without a key (the phase on screen, the experiment
# blocked: no CPU used, RSS unchanged, run.json at one phase); n goes
# through every phase; p shows the previous phase's frame; l toggles the
# lesson panel, whose lines carry this run's figures; the pin P is on the
# 'freed' screen and the changed cells are reversed; q restores the
# terminal. At 80x24 with NO_COLOR, and at 120x40 with colour.
. tests/behaviour/_tap.sh
T=$T_TMP
HV=${HEAPLAB_BUILD:-build}/heapview
TM_NAME=step
. tests/behaviour/_tmux.sh

start() { # session cols rows env heapview-args...
	s=$1 c=$2 r=$3 e=$4
	shift 4
	printf '%s ' "$@" >"$T/$s.args"
	$TM new-session -d -s "$s" -x "$c" -y "$r" \
		"$e $HV $(cat "$T/$s.args"); echo heapview-exit \$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e echo | tr '\n' ' '; echo; sleep 600"
}
# the experiment's CPU ticks (utime + stime) and RSS pages
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
rss() { awk '{print $2}' "/proc/$1/statm" 2>/dev/null; }

# --- 80x24, NO_COLOR: the whole lesson --------------------------------------
start a 80 24 NO_COLOR=1 --experiment brk_pin --step --out "$T/run" -- --blocks=20000
wait_for a "phase allocated (1/3)  waiting: n for next" 20; ok $? "step: stops at the first phase, says 'waiting: n for next'"
wait_for a "^lesson at allocated" 5; ok $? "the lesson panel is on by default"
cap a | tr -d '\n' | grep -q "20000 blocks of 4096 B fill the brk heap: live ~\{0,1\}7[0-9]\.[0-9] MiB, RSS [0-9.]* MiB"
ok $? "its line carries this run's figures (20000 blocks, live, RSS)"
epid=$(cap a | sed -n 's/^heapview  pid \([0-9]*\) .*/\1/p')
[ -n "$epid" ]; ok $? "the experiment runs (pid $epid)"
c0=$(cpu "$epid") r0=$(rss "$epid") p0=$(grep -c . "$T/run/samples.tsv")
sleep 4
cap a | grep -q "phase allocated (1/3)  waiting: n for next"; ok $? "4 s later, no key: still at 'allocated'"
c1=$(cpu "$epid") r1=$(rss "$epid") p1=$(grep -c . "$T/run/samples.tsv")
[ -n "$c0" ] && [ "$c0" = "$c1" ]; ok $? "the experiment is blocked: no CPU used in 4 s ($c0 -> $c1 ticks)"
[ -n "$r0" ] && [ "$r0" = "$r1" ]; ok $? "its RSS is unchanged ($r0 -> $r1 pages)"
grep -q '"allocated"' "$T/run/run.json" && ! grep -q '"freed"' "$T/run/run.json"
ok $? "run.json has reached 'allocated' and not 'freed'"
[ "$p1" -gt "$p0" ] && tail -1 "$T/run/samples.tsv" | grep -q "allocated$"
ok $? "the harness samples on while it waits ($p0 -> $p1 rows, all at 'allocated')"
map_rows a | grep -q '#####'; ok $? "allocated: the map is used pages"

key a n
wait_for a "phase freed (2/3)  waiting: n for next" 15; ok $? "n: on to 'freed' (2/3), waiting again"
wait_for a "^lesson at freed: [1-9][0-9]* cells changed since allocated" 5; ok $? "the panel counts the cells changed since 'allocated'"
map_rows a | grep -q 'oooooooooo'; ok $? "freed: the map is held-back pages"
map_rows a | grep -q 'P'; ok $? "the pin P is on the 'freed' screen"
cap a | grep -q "^since allocated:  RSS [+-][0-9.]*[BKM]  live ~\{0,1\}-7[0-9]\.[0-9]M  held back +7[0-9]\.[0-9]M  released [+-]"
ok $? "the changes row: RSS, live -7xM, held back +7xM, released since 'allocated'"
cap a | tr -d '\n' | sed 's/  */ /g' >"$T/freed"
grep -q "MiB freed; RSS still [0-9.]* MiB ([^)]*): the 32 B chunk at 0x[0-9a-f]* (P) sits between the free chunk and top" "$T/freed"
ok $? "the lesson: what was freed, RSS, the 32 B pin and its address"
pin=$(grep -o "the 32 B chunk at 0x[0-9a-f]*" "$T/freed" | sed 's/.*0x//')
first=$(map_rows a | head -1 | cut -c1-12)
[ -n "$pin" ] && [ $((0x$pin)) -gt $((0x$first)) ]; ok $? "the pin's address ($pin) is inside the heap on the map (from $first)"
$TM capture-pane -e -p -t a | grep -q "$(printf '\033')\[\([0-9]*;\)*7m"; ok $? "NO_COLOR: the changed cells are reversed (no colour needed)"
$TM capture-pane -e -p -t a | grep -q "$(printf '\033')\[3[1-6]m"; [ $? -ne 0 ]; ok $? "NO_COLOR: no colour at all"

key a p
wait_for a "phase allocated (1/3)  earlier phase" 3; ok $? "p: the previous phase's frame, named in the title"
map_rows a | grep -q '#####' && ! map_rows a | grep -q 'ooooo'; ok $? "p: its map again (used, no held back)"
kill -0 "$epid" && grep -q '"freed"' "$T/run/run.json"; ok $? "p does not move the experiment (it stays at 'freed')"
key a n
wait_for a "phase freed (2/3)  waiting: n for next" 3; ok $? "n from the earlier frame: back to 'freed'"

key a l
sleep 0.5
cap a | grep -q "^lesson at"; [ $? -ne 0 ]; ok $? "l hides the lesson panel"
key a l
wait_for a "^lesson at freed" 3; ok $? "l shows it again"

key a n
wait_for a "phase trimmed (3/3)  waiting: n for next" 15; ok $? "n: on to 'trimmed' (3/3)"
map_rows a | grep -q '\.\.\.\.\.\.\.\.'; ok $? "trimmed: released pages"
cap a | grep -q "^since freed:  RSS -7[0-9]\.[0-9]M"; ok $? "the changes row: RSS fell by 7x MiB since 'freed'"
key a n
wait_for a "exited" 15; ok $? "n after the last phase: the experiment ends"
cap a | grep -q "phase trimmed (3/3)"; ok $? "the last phase stays named"
key a q
wait_for a "heapview-exit 0" 5; ok $? "q: exit 0"
wait_for a "^icanon echo" 3; ok $? "q restores the terminal (icanon, echo)"
sleep 0.5
grep -q '"status":[[:space:]]*"complete"' "$T/run/run.json"; ok $? "the run is complete"

# --- 120x40, colour: stop, step to 'freed', q while it waits ----------------
start b 120 40 "" --experiment brk_pin --step --out "$T/run2" -- --blocks=20000
wait_for b "phase allocated (1/3)  waiting: n for next" 20; ok $? "120x40: stops at the first phase"
[ "$(cap b | wc -l)" -eq 40 ]; ok $? "120x40: the screen has 40 rows"
key b n
wait_for b "phase freed (2/3)  waiting: n for next" 15; ok $? "120x40: n to 'freed'"
map_rows b | grep -q P; ok $? "120x40: the pin P on the map"
cap b | grep -q "^since allocated:  RSS"; ok $? "120x40: the changes row"
wait_for b "^lesson at freed" 3; ok $? "120x40: the lesson panel"
n=$(cap b | awk 'length($0) > 120' | wc -l)
[ "$n" -eq 0 ]; ok $? "120x40: no row wider than the screen"
$TM capture-pane -e -p -t b | grep -q "$(printf '\033')\[3[1-6]m"; ok $? "with colour: coloured"
e2=$(cap b | sed -n 's/^heapview  pid \([0-9]*\) .*/\1/p')
key b q
wait_for b "heapview-exit 0" 5; ok $? "q while the experiment waits: exit 0"
wait_for b "^icanon echo" 3; ok $? "the terminal is restored"
sleep 0.3
[ -n "$e2" ] && ! kill -0 "$e2" 2>/dev/null; ok $? "the experiment it held is ended"

done_testing
