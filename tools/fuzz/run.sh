#!/usr/bin/env bash
# A short libFuzzer run (ASan + UBSan) over one of the shim's untrusted-input decoders:
#
#   tools/fuzz/run.sh checkpoint|image [SECONDS=60] [libFuzzer flags...]
#
#   checkpoint  bytes as a checkpoint file (torch.save zip or TorchScript archive), or as a bare
#               data.pkl when they start with 0x80 (see native/fuzz/checkpoint_fuzzer.cpp)
#   image       bytes as a JPEG or PNG
#
# Builds native/fuzz into build/fuzz with clang (Debian: apt-get install clang libclang-rt-14-dev),
# seeds build/fuzz/corpus-<target> from tests/fixtures (checkpoints up to 128 KB and the data.pkl
# inside each; the test images), and runs one process at the lowest priority. A crash, leak,
# timeout or out-of-memory input lands in build/fuzz/findings-<target>/; replay it with
#   build/fuzz/fuzz_<target> build/fuzz/findings-<target>/<file>
# and turn it into a regression test. The corpus grows between runs; delete it to start over.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET="${1:-}"
SECONDS_TO_RUN="${2:-60}"
shift $(( $# >= 2 ? 2 : $# ))
case "$TARGET" in
  checkpoint|image) ;;
  *) echo "usage: tools/fuzz/run.sh checkpoint|image [SECONDS] [libFuzzer flags...]" >&2; exit 2 ;;
esac
command -v clang++ >/dev/null || { echo "clang++ is needed (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

BUILD="$ROOT/build/fuzz"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT/native/fuzz" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$ROOT/build/fuzz-configure.log" 2>&1 \
    || { cat "$ROOT/build/fuzz-configure.log" >&2; exit 1; }
fi
nice -n 19 cmake --build "$BUILD" --target "fuzz_$TARGET" -j 2 >"$ROOT/build/fuzz-build.log" 2>&1 \
  || { tail -n 40 "$ROOT/build/fuzz-build.log" >&2; exit 1; }

CORPUS="$BUILD/corpus-$TARGET"
FINDINGS="$BUILD/findings-$TARGET"
mkdir -p "$CORPUS" "$FINDINGS"
if [ -z "$(ls -A "$CORPUS")" ]; then
  if [ "$TARGET" = checkpoint ]; then
    find "$ROOT/tests/fixtures" \( -name '*.pt' -o -name '*.pth' \) -size -128k -exec cp {} "$CORPUS/" \;
    python3 - "$CORPUS" <<'PY'
import os, sys, zipfile
corpus = sys.argv[1]
for name in sorted(os.listdir(corpus)):
    try:
        with zipfile.ZipFile(os.path.join(corpus, name)) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")]
            if pkl:
                open(os.path.join(corpus, name + ".data.pkl"), "wb").write(z.read(pkl[0]))
    except zipfile.BadZipFile:
        pass
PY
  else
    find "$ROOT/tests/fixtures/images" \( -name '*.jpg' -o -name '*.png' \) -exec cp {} "$CORPUS/" \;
  fi
fi

echo "fuzzing $TARGET for ${SECONDS_TO_RUN}s: corpus $CORPUS, findings $FINDINGS" >&2
exec nice -n 19 "$BUILD/fuzz_$TARGET" "$CORPUS" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=25 -rss_limit_mb=3072 -max_len=131072 \
  -artifact_prefix="$FINDINGS/" -print_final_stats=1 "$@"
