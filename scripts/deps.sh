#!/bin/sh
# deps.sh — checks for every package heaplab needs and installs what is
# missing when run as root (apt-get); otherwise prints the one apt-get line
# to run and exits 2. Used by `make deps`, which every build target runs first,
# so a missing package is named here and never surfaces as a compiler error.
#
# Each line of NEEDS: how to check | Debian package | what it is for.
set -u

NEEDS='
pc:ncursesw|libncurses-dev|heapview terminal UI
pc:libcjson|libcjson-dev|run records (run.json)
pc:expat|libexpat1-dev|malloc_info XML parsing
pc:libdw|libdw-dev|reading glibc debug info
cmd:gnuplot|gnuplot-nox|timeline plots
file:/usr/share/fonts/truetype/dejavu|fonts-dejavu-core|readable text in PNG plots
cmd:pkg-config|pkg-config|finding the libraries above
cmd:cc|gcc|the C compiler
cmd:tmux|tmux|terminal UI tests
cmd:chromium|chromium|report rendering test
cmd:gdb|gdb|heaplab diagnose --trim (calls malloc_trim inside a process)
cmd:heaptrack|heaptrack|the peer heaplab trace is checked and measured against
lib:libunwind.so.8|libunwind8|heaplab trace --unwind libunwind
cmd:perl|perl|diagnosing a program not written for heaplab (tests)
file:/usr/lib/debug/.build-id|libc6-dbg|main_arena and struct offsets from glibc debug info
file:/usr/share/keyrings/debian-archive-keyring.gpg|debian-archive-keyring|fetching the glibc matrix (scripts/glibc.sh)
cmd:musl-gcc|musl-tools|a program on another C library (tests)
file:/usr/lib/python3/dist-packages/prometheus_client|python3-prometheus-client|checking the OpenMetrics output against its parser (tests)
lib:libjemalloc.so.2|libjemalloc2|--allocator jemalloc
lib:libtcmalloc_minimal.so.4|libtcmalloc-minimal4|--allocator tcmalloc
lib:libmimalloc.so.2|libmimalloc2.0|--allocator mimalloc
'

have() {
	kind=${1%%:*}
	what=${1#*:}
	case $kind in
	pc) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$what" ;;
	cmd) command -v "$what" >/dev/null 2>&1 ;;
	file) [ -e "$what" ] ;;
	lib)
		for f in /usr/lib/*/"$what" /usr/lib/"$what"; do
			[ -e "$f" ] && return 0
		done
		return 1
		;;
	esac
}

missing=""
why=""
oldifs=$IFS
IFS='
'
for line in $NEEDS; do
	[ -n "$line" ] || continue
	check=${line%%|*}
	rest=${line#*|}
	pkg=${rest%%|*}
	purpose=${rest#*|}
	if ! have "$check"; then
		missing="$missing $pkg"
		why="$why
  $pkg: $purpose"
	fi
done
IFS=$oldifs

[ -z "$missing" ] && exit 0

echo "heaplab: missing packages:$why" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "heaplab: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || { echo "heaplab: apt-get update failed" >&2; exit 2; }
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2 || {
		echo "heaplab: apt-get install failed; run it by hand:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 2
	}
	exit 0
fi
echo "heaplab: as root, run:" >&2
echo "  apt-get update && apt-get install -y$missing" >&2
exit 2
