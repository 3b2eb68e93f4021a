# _tap.sh — sourced by the shell tests: TAP output and the paths they need.
# HEAPLAB_BUILD (set by tests/run) picks the heaplab under test.
HEAPLAB=${HEAPLAB_BUILD:-build}/heaplab
HELPERS=build/tests/helpers
T_N=0
T_FAILED=0
T_TMP=$(mktemp -d /tmp/heaplab-sh-XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

ok() { # ok CONDITION-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# expect_run NAME EXIT-STATUS PATTERN-IN-STDERR COMMAND...
expect_run() {
	name=$1 want=$2 pat=$3
	shift 3
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	[ "$got" -eq "$want" ]
	ok $? "$name: exit status $want (got $got)"
	grep -q -- "$pat" "$T_TMP/err"
	r=$?
	ok $r "$name: says '$pat'"
	[ $r -eq 0 ] || sed 's/^/#   stderr: /' "$T_TMP/err"
}

# ok_lines FILE: each "PASS what" / "FAIL what" line of FILE (a checker's
# verdicts, as the python ones print them) as one test
ok_lines() {
	while read -r verdict what; do
		case $verdict in
		PASS) ok 0 "$what" ;;
		FAIL) ok 1 "$what" ;;
		esac
	done <"$1"
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}
