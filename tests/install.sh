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
# As a user types it: zbud.pc's rpath finds libzbud.so.0 at run time.
"$cc" "$src/examples/hello.c" $flags -o "$tmp/hello"
check
ldd "$tmp/hello" | grep -q "libzbud.so.0 => $(dirname "$pc")"
"$cc" "$src/examples/store.c" $flags -o "$tmp/store"
check_store
static=$(PKG_CONFIG_PATH=$pc pkg-config --static --cflags --libs zbud)
"$cc" "$src/examples/store.c" -Wl,-Bstatic $static -Wl,-Bdynamic -o "$tmp/store"
check_store
for f in include/zswap.h include/zbud.h include/zpool.h include/zbud_source.h bin/zbud \
	share/man/man1/zbud.1 share/man/man1/zbud-stat.1 share/bash-completion/completions/zbud; do
	[ -f "$tmp/prefix/$f" ] || { echo "install: no $f"; exit 1; }
done
MANPATH=$tmp/prefix/share/man man zbud-stat 2>/dev/null | grep -q 'zbud-stat - the running kernel'
[ -f "$tmp/prefix/share/zbud/python-heap.lz4-sizes.txt" ]
echo "install: 1 passed, 0 failed"
