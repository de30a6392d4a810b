#!/usr/bin/env bash
# install.sh BUILD SRCDIR CC - libzbud is usable as its users will use it:
# from the build tree with a plain cc line, and installed through pkg-config.
set -eu
build=$1 src=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
	"$tmp/hello" >"$tmp/out"
	grep -q '^4 objects in 2 pages$' "$tmp/out"
	grep -q '^evicting "first"$' "$tmp/out"
	grep -q '^evicting "second"$' "$tmp/out"
	grep -q '^fourth is still there; 1 page left$' "$tmp/out"
}
# The build tree.
"$cc" -I"$src/include" "$src/examples/hello.c" "$build/libzbud.a" -lpthread -o "$tmp/hello"
check
# Installed, through pkg-config, static and shared.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
[ -f "$pc/zbud.pc" ]
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs zbud)
"$cc" "$src/examples/hello.c" $flags -o "$tmp/hello" -Wl,-rpath,"$(dirname "$pc")"
check
[ -x "$tmp/prefix/bin/zbud" ] && [ -f "$tmp/prefix/include/zbud.h" ] && [ -f "$tmp/prefix/include/zpool.h" ]
[ -f "$tmp/prefix/share/zbud/python-heap.lz4-sizes.txt" ]
echo "install: 1 passed, 0 failed"
