#!/bin/sh
# Rebuild the example C programs (Debian 12: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32).
# The .wasm files are committed so that the tests need no clang.
# Plain commands, as a user would type them: printf keeps its float code, which the VM runs as
# long as nothing is printed with %f/%g/%e (see "Supported instructions" in the README).
set -eu
cd "$(dirname "$0")"
clang --version | head -1
clang --target=wasm32-wasi -O2 hello.c -o hello.wasm
clang --target=wasm32-wasi -O2 -mbulk-memory memmove.c -o memmove.wasm
clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry alloc.c -o alloc.wasm
clang --target=wasm32-wasi -O2 grow.c -o grow.wasm
