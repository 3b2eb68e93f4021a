# _tmux.sh — sourced by the tests that drive heapview in a real terminal,
# after _tap.sh: a private tmux server ($TM, named by $TM_NAME, killed at
# exit with the test's files) and reading its panes back.
TM="tmux -L heaplab-${TM_NAME:-test}-$$ -f /dev/null"
trap '$TM kill-server 2>/dev/null; rm -rf "$T_TMP"' EXIT
cap() { $TM capture-pane -p -t "$1"; }
# wait_for SESSION PATTERN SECONDS: 0 once the screen matches
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		cap "$1" | grep -q -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cap "$1" | sed 's/^/#   | /'
	return 1
}
key() { $TM send-keys -t "$1" "$2"; }
# the map rows: an address, a space, then cells
map_rows() { cap "$1" | grep -E '^[0-9a-f]{12} '; }
