#!/usr/bin/env bash
# Builds the native shim without torch.distributed (as against a libtorch that lacks c10d's Gloo backend) in a
# temporary folder and checks that the build succeeds and that init_process_group then fails with a clear message.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/regionclip" --help > /dev/null   # the CLI itself, built as usual
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cmake -S "$root/native" -B "$build" -DRC_DISTRIBUTED=OFF -DCMAKE_BUILD_TYPE=Release ${LIBTORCH:+-DCMAKE_PREFIX_PATH="$LIBTORCH"} > "$build/cmake.log"
grep "regionclip:" "$build/cmake.log"
cmake --build "$build" -j "$(nproc)" > "$build/make.log"
set +e
message=$(REGIONCLIP_NATIVE_DIR="$build" dotnet "$root/build/cli/RegionClip.Cli.dll" dist-check --init-method tcp://127.0.0.1:1 --rank 0 --world-size 1 2>&1)
code=$?
set -e
echo "$message"
[ "$code" -ne 0 ] && grep -q "no distributed support" <<< "$message" && echo "ok: built without Gloo; init_process_group explains why it cannot run"
