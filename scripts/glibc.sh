#!/bin/sh
# scripts/glibc.sh — the glibc matrix: other Debian suites' glibc, unpacked
# beside the system's, never installed over it.
#
#   sh scripts/glibc.sh fetch SUITE...   download libc6, libc6-dbg,
#                                        libc6-dev and linux-libc-dev of each
#                                        suite and unpack them into the cache
#                                        (once: with HEAPLAB_GLIBC_REFRESH=1,
#                                        anew)
#   sh scripts/glibc.sh list             what the cache holds: suite,
#                                        version, root
#   sh scripts/glibc.sh root SUITE|VER   the root of one (for scripts)
#   sh scripts/glibc.sh run SUITE|VER -- PROGRAM [ARGS]
#                                        run PROGRAM under that glibc
#   sh scripts/glibc.sh cflags SUITE|VER the compiler flags that build
#                                        against it (its headers and libc)
#
# SUITE is a Debian suite name (bullseye, bookworm, trixie, sid). The
# packages come from the Debian archive this machine's apt already uses:
# its URI is read from /etc/apt/sources.list.d/*.sources or
# /etc/apt/sources.list, and a private apt configuration in the cache
# (its own sources, lists and archives) asks it for the other suite, so
# the system's apt state is not touched. The cache is $HEAPLAB_GLIBC_CACHE,
# else ~/.cache/heaplab/glibc; each suite lands in CACHE/SUITE/root (the
# unpacked packages: lib/x86_64-linux-gnu/libc.so.6, ld-linux-x86-64.so.2,
# usr/lib/debug/.build-id/...), with CACHE/SUITE/version holding the
# glibc version (2.31, 2.41, ...), CACHE/SUITE/libdir the folder of its
# libc.so.6 (lib/ before the /usr merge, usr/lib/ after it) and
# CACHE/SUITE/ld its loader. A program runs under it through that loader:
#   LD --library-path LIBDIR PROGRAM (what `run` does)
set -eu

CACHE=${HEAPLAB_GLIBC_CACHE:-${HOME:-/root}/.cache/heaplab/glibc}
# apt takes its paths from /: the cache's, made absolute
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
# what a suite's glibc is run and built with: the library and its loader,
# its debug info, its headers and start files, the kernel headers they need
PACKAGES="libc6 libc6-dbg libc6-dev linux-libc-dev"
# a cache made with another list (or layout) is fetched anew
LAYOUT=3

die() {
	echo "glibc.sh: $*" >&2
	exit 2
}

# The Debian archive's URI, as this machine's apt has it.
archive_uri() {
	uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822: the URIs of a stanza whose Suites name a Debian suite
		uri=$(awk '
			/^[Uu][Rr][Ii][Ss]:/ { u = $2 }
			/^[Ss]uites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-(security|updates|backports)$/) s = 1 }
			/^$/ { if (u != "" && s) { print u; exit } u = ""; s = 0 }
			END { if (u != "" && s) print u }' "$f" | grep -v security | head -n 1)
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian archive in /etc/apt/sources.list(.d): cannot fetch other suites"
	echo "$uri"
}

keyring() {
	for k in /usr/share/keyrings/debian-archive-keyring.gpg /etc/apt/trusted.gpg.d/debian-archive-keyring.gpg; do
		[ -r "$k" ] && { echo "$k"; return; }
	done
	die "no Debian archive keyring (apt-get install debian-archive-keyring)"
}

# fetch SUITE: the three packages of SUITE, unpacked into CACHE/SUITE/root.
fetch() {
	suite=$1
	case $suite in
	*[!a-z-]* | "") die "'$suite' is not a suite name (bullseye, bookworm, trixie, sid)" ;;
	esac
	dir=$CACHE/$suite
	if [ -r "$dir/version" ] && [ -r "$dir/ld" ] && [ "$(cat "$dir/packages" 2>/dev/null)" = "$LAYOUT $PACKAGES" ] &&
		[ -z "${HEAPLAB_GLIBC_REFRESH:-}" ]; then
		echo "$suite $(cat "$dir/version") $dir/root (cached; HEAPLAB_GLIBC_REFRESH=1 fetches anew)"
		return 0
	fi
	apt=$dir/apt
	mkdir -p "$apt/etc/apt/sources.list.d" "$apt/etc/apt/preferences.d" "$apt/lists/partial" \
		"$apt/archives/partial" "$dir/debs"
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
		"$(archive_uri)" "$suite" "$(keyring)" >"$apt/etc/apt/sources.list.d/glibc.sources"
	: >"$apt/status"
	: >"$apt/etc/apt/sources.list"
	# as root apt drops to _apt for downloads, which cannot write the cache
	sandbox=""
	[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	set -- $sandbox -o Dir::Etc="$apt/etc/apt" -o Dir::Etc::sourcelist="$apt/etc/apt/sources.list" \
		-o Dir::State::lists="$apt/lists" -o Dir::State::status="$apt/status" \
		-o Dir::Cache="$apt" -o Dir::Cache::archives="$apt/archives" \
		-o APT::Architecture="$ARCH" -o APT::Get::AllowUnauthenticated=false
	echo "glibc.sh: $suite: reading the archive's package lists" >&2
	apt-get "$@" -qq update || die "$suite: apt-get update failed (is '$suite' a suite the archive serves?)"
	rm -f "$dir"/debs/*.deb
	for p in $PACKAGES; do
		(cd "$dir/debs" && apt-get "$@" -qq download "$p:$ARCH") ||
			die "$suite: cannot download $p"
	done
	rm -rf "$dir/root.new"
	mkdir -p "$dir/root.new"
	for d in "$dir"/debs/*.deb; do
		dpkg-deb -x "$d" "$dir/root.new"
	done
	ver=$(dpkg-deb -f "$dir"/debs/libc6_*.deb Version | sed 's/-.*//')
	libdir=""
	for l in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
		[ -e "$dir/root.new/$l/libc.so.6" ] && [ -e "$dir/root.new/$l/ld-linux-x86-64.so.2" ] &&
			{ libdir=$l; break; }
	done
	[ -n "$libdir" ] || die "$suite: the unpacked libc6 has no libc.so.6 and loader"
	# the paths a system's root has (base-files and the /usr merge make
	# them): the loader at /lib64, and /lib beside /usr/lib, so that a
	# program linked against this tree, or run in it as its root, finds both
	[ -e "$dir/root.new/lib" ] || ln -s usr/lib "$dir/root.new/lib"
	# links to absolute paths (libpthread.so -> /lib/...) mean the host's
	# files from outside the tree: made relative, they stay inside it
	find "$dir/root.new" -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in
		/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir/root.new$t")" "$l" ;;
		esac
	done
	if [ ! -e "$dir/root.new/lib64/ld-linux-x86-64.so.2" ]; then
		mkdir -p "$dir/root.new/lib64"
		ln -sf "../$libdir/ld-linux-x86-64.so.2" "$dir/root.new/lib64/ld-linux-x86-64.so.2"
	fi
	rm -rf "$dir/root"
	mv "$dir/root.new" "$dir/root"
	echo "$ver" >"$dir/version"
	echo "$LAYOUT $PACKAGES" >"$dir/packages"
	echo "$dir/root/$libdir" >"$dir/libdir"
	echo "$dir/root/$libdir/ld-linux-x86-64.so.2" >"$dir/ld"
	echo "$suite $ver $dir/root"
}

list() {
	for v in "$CACHE"/*/version; do
		[ -r "$v" ] || continue
		d=$(dirname "$v")
		echo "$(basename "$d") $(cat "$v") $d/root"
	done
}

# The cache folder of a suite or version.
find_dir() {
	for v in "$CACHE"/*/version; do
		[ -r "$v" ] || continue
		d=$(dirname "$v")
		if [ "$(basename "$d")" = "$1" ] || [ "$(cat "$v")" = "$1" ]; then
			echo "$d"
			return 0
		fi
	done
	die "no glibc '$1' in $CACHE (sh scripts/glibc.sh fetch SUITE)"
}

[ $# -ge 1 ] || die "usage: glibc.sh fetch SUITE... | list | root SUITE|VERSION | cflags SUITE|VERSION | run SUITE|VERSION -- PROGRAM"
cmd=$1
shift
case $cmd in
fetch)
	[ $# -ge 1 ] || die "fetch: which suites? (bullseye trixie sid)"
	for s in "$@"; do fetch "$s"; done
	;;
list) list ;;
root)
	[ $# -eq 1 ] || die "root: one suite or version"
	echo "$(find_dir "$1")/root"
	;;
run)
	[ $# -ge 3 ] && [ "$2" = "--" ] || die "usage: glibc.sh run SUITE|VERSION -- PROGRAM [ARGS]"
	d=$(find_dir "$1")
	shift 2
	exec "$(cat "$d/ld")" --library-path "$(cat "$d/libdir")" "$@"
	;;
cflags)
	# what cc needs to build against it: its headers, start files and libc
	[ $# -eq 1 ] || die "cflags: one suite or version"
	r=$(find_dir "$1")/root
	echo "--sysroot=$r -B$r/usr/lib/x86_64-linux-gnu/ -L$r/usr/lib/x86_64-linux-gnu -L$r/lib/x86_64-linux-gnu"
	;;
-h | --help | help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$cmd' (fetch, list, root, cflags, run)" ;;
esac
