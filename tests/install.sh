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
check_store() {
	"$tmp/store" | grep -q '^100 pages, [0-9]* bytes in the pool$'
}
# The build tree.
"$cc" -I"$src/include" "$src/examples/hello.c" "$build/libzbud.a" -lpthread -o "$tmp/hello"
check
"$cc" -I"$src/include" "$src/examples/store.c" "$build/libzbud.a" -lpthread -llz4 -lzstd -llzo2 -lz \
	-o "$tmp/store"
check_store
# Installed, through pkg-config, static and shared.
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
[ -f "$pc/zbud.pc" ]
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs zbud)
"$cc" "$src/examples/hello.c" $flags -o "$tmp/hello" -Wl,-rpath,"$(dirname "$pc")"
check
"$cc" "$src/examples/store.c" $flags -o "$tmp/store" -Wl,-rpath,"$(dirname "$pc")"
check_store
static=$(PKG_CONFIG_PATH=$pc pkg-config --static --cflags --libs zbud)
"$cc" "$src/examples/store.c" -Wl,-Bstatic $static -Wl,-Bdynamic -o "$tmp/store"
check_store
[ -f "$tmp/prefix/include/zswap.h" ][ -x "$tmp/prefix/bin/zbud" ] && [ -f "$tmp/prefix/include/zbud.h" ] && [ -f "$tmp/prefix/include/zpool.h" ]
[ -f "$tmp/prefix/share/zbud/python-heap.lz4-sizes.txt" ]
echo "install: 1 passed, 0 failed"
