#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from the source node-llama-cpp ships (no download), once per machine:
# the binary lands in a cache keyed by the source commit, outside the repo's tracked files, and later runs
# reuse it. Prints the binary's path on the last line of stdout.
#   LUNA_LLAMA_SERVER_CACHE   cache root (default: ${XDG_CACHE_HOME:-~/.cache}/luna/llama-server)
#   LUNA_BUILD_JOBS           parallel compile jobs (default: nproc)
# With --path: prints the cached binary's path if it is built (exit 0), else exits 1 without building.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
if [ ! -f "$bundle" ]; then
  echo "build-llama-server: $bundle not found" >&2
  echo "hint: run npm ci first (node-llama-cpp ships llama.cpp's source)" >&2
  exit 4
fi
for tool in git cmake make c++; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-llama-server: '$tool' is not installed" >&2
    echo "hint: apt-get install -y git cmake build-essential" >&2
    exit 4
  fi
done
commit="$(git bundle list-heads "$bundle" | awk '{print $1; exit}')"
cache="${LUNA_LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/luna/llama-server}"
out="$cache/$commit"
if [ -x "$out/llama-server" ] && "$out/llama-server" --version >/dev/null 2>&1; then
  echo "$out/llama-server"
  exit 0
fi
[ "${1:-}" = "--path" ] && exit 1
work="$(mktemp -d "${TMPDIR:-/tmp}/luna-llama-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "build-llama-server: building llama-server ${commit:0:10} (takes ~10-15 min on 2 cores, once per machine)" >&2
git clone -q "$bundle" "$work/src" 1>&2
git -C "$work/src" -c advice.detachedHead=false checkout -q "$commit" 1>&2
# Static, CPU-only, no web UI download, no TLS/curl: everything the server needs comes from the bundle.
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=ON >"$work/cmake.log" 2>&1 \
  || { tail -30 "$work/cmake.log" >&2; echo "build-llama-server: cmake failed" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j "${LUNA_BUILD_JOBS:-$(nproc)}" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; echo "build-llama-server: build failed" >&2; exit 1; }
bin="$(find "$work/build" -type f -name llama-server -perm -u+x | head -n1)"
[ -n "$bin" ] || { echo "build-llama-server: no llama-server binary after the build" >&2; exit 1; }
mkdir -p "$out.tmp.$$"
cp "$bin" "$out.tmp.$$/llama-server"
rm -rf "$out" && mv "$out.tmp.$$" "$out"
"$out/llama-server" --version >&2 || true
echo "$out/llama-server"
