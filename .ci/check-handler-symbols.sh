#!/usr/bin/env bash
# Fails when a release handler executable carries dev tooling: the recorded-shop generator,
# synthetic shops, the Runtime API emulator, the replayer, benchmarks or recording doubles; or
# `tidings serve`'s server: TidingsServe, Hummingbird and the SwiftNIO it runs on (issue 16: the
# handler binaries do not link it).
# They live in TidingsDevKit, which only the CLI and the tests link (DESIGN.md, "Layout"); this
# reads each handler's symbol table, demangles it and looks for any of those types, whichever
# module they sit in. Usage: .ci/check-handler-symbols.sh [BINARY_DIR] (default .build/release),
# after `swift build -c release --static-swift-stdlib --product <handler>` for every handler.
set -euo pipefail
cd "$(dirname "$0")/.."

binaries=${1:-.build/release}
if command -v swift-demangle >/dev/null 2>&1; then
    demangle=(swift-demangle)
else
    demangle=(swift demangle)
fi

# The module, and every type it holds, so that a type moved back into TidingsCore or
# TidingsRuntime is caught as well as a handler that links the module itself.
devkit_types='TidingsDevKit|RecordedShopGenerator|GeneratedShop|SyntheticShop|LifetimeSampler|RecordedJSON|ShopTime|Cents|RuntimeAPIEmulator|Emulation|Replayer|AuditBenchmark|StateStoreBenchmark|RecordingEmailService|RecordingReviewQueue|InMemoryAuditLog'
pattern="\\b(Tidings(Core|Runtime|DevKit)\\.($devkit_types)\\b|TidingsDevKit\\b)"
# Module names as the demangler prints them in qualified symbols ("Hummingbird.Router", "NIOPosix.…").
server_pattern='\b(TidingsServe|Hummingbird(Core)?|NIOCore|NIOPosix|NIOHTTP1)\.'

status=0
for function in Functions/*/; do
    name=$(basename "$function")
    binary="$binaries/$name"
    if [[ ! -x "$binary" ]]; then
        echo "check-handler-symbols: $binary is not built" >&2
        status=1
        continue
    fi
    symbols=$(nm --defined-only "$binary" | awk '{ print $NF }' | "${demangle[@]}")
    # A stripped binary would pass vacuously: the pipeline's own entry point must be visible.
    if ! grep -q 'TidingsRuntime\.FunctionMain' <<<"$symbols"; then
        echo "check-handler-symbols: $binary has no readable Swift symbol table" >&2
        status=1
        continue
    fi
    found=$(grep -oE "$pattern" <<<"$symbols" | sort | uniq -c | sort -rn || true)
    server=$(grep -oE "$server_pattern" <<<"$symbols" | sort | uniq -c | sort -rn || true)
    if [[ -n "$found" ]]; then
        echo "check-handler-symbols: $name links dev tooling (symbols per type):" >&2
        echo "$found" >&2
        status=1
    fi
    if [[ -n "$server" ]]; then
        echo "check-handler-symbols: $name links the tidings serve HTTP server (symbols per module):" >&2
        echo "$server" >&2
        status=1
    fi
    if [[ -z "$found" && -z "$server" ]]; then
        echo "check-handler-symbols: $name links no dev tooling and no HTTP server"
    fi
done
exit $status
