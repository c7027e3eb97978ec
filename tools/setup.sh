# Shared set-up for ./regionclip and ./run-tests: install what is missing, then build
# incrementally. Sourced, not run. Honours:
#   LIBTORCH / Torch_DIR   build against an official libtorch 2.x (CPU or CUDA) instead of Debian's
#   RC_BUILD_TYPE          CMake build type of the native shim (default Release)
RC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RC_NATIVE_BUILD="$RC_ROOT/build/native"
# libopenblas0-openmp: Debian's libtorch calls whatever libblas.so.3 the alternatives system
# points at; without an optimized BLAS that is the reference one, and every Linear/matmul runs
# 25-40x slower (CLIP's text tower: 115 s -> 4.5 s for 81 prompts on 2 cores).
# wordnet-base, liblingua-en-tagger-perl: the data `regionclip concepts` parses captions with (WordNet's
# nouns and lemmas, a Penn-Treebank tagger lexicon), read at run time from /usr/share.
RC_DEBIAN_PACKAGES=(libtorch-dev libgloo-dev cmake g++ make libjpeg62-turbo-dev libpng-dev libopenblas0-openmp wordnet-base liblingua-en-tagger-perl)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rc_log() { printf '\033[2m[regionclip] %s\033[0m\n' "$*" >&2; }
rc_die() { printf '[regionclip] error: %s\n' "$*" >&2; exit 1; }

rc_ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || rc_die "the .NET SDK (10.0 or newer) is not installed: see https://learn.microsoft.com/dotnet/core/install/linux"
}

rc_missing_debian_packages() {
  local p missing=()
  for p in "${RC_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

rc_ensure_native_deps() {
  if [ -n "${LIBTORCH:-}${Torch_DIR:-}" ]; then
    command -v cmake >/dev/null && command -v g++ >/dev/null || rc_die "cmake and a C++17 compiler are needed to build the native shim"
    return
  fi
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    rc_die "this is not a Debian system, so libtorch cannot be installed automatically.
  Download libtorch (CPU or CUDA, 1.13 or 2.x) from pytorch.org, unpack it, and run again with
    LIBTORCH=/path/to/libtorch ./regionclip ...
  (cmake >= 3.18, a C++17 compiler, and libjpeg-turbo + libpng development files are also needed)."
  fi
  # Checked once per package-database change: dpkg-query for every package costs a cold start ~0.3 s.
  local stamp="$RC_ROOT/build/.debian-packages-ok" missing
  if [ -f "$stamp" ] && [ "$stamp" -nt /var/lib/dpkg/status ] && [ "$(cat "$stamp")" = "${RC_DEBIAN_PACKAGES[*]}" ]; then return; fi
  missing="$(rc_missing_debian_packages)"
  if [ -z "$missing" ]; then echo "${RC_DEBIAN_PACKAGES[*]}" > "$stamp"; return; fi
  if [ "$(id -u)" = "0" ]; then
    rc_log "installing $missing (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || rc_die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 || rc_die "apt-get install $missing failed"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    rc_log "installing $missing (sudo apt-get)"
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || rc_die "apt-get update failed"
    # shellcheck disable=SC2086
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 || rc_die "apt-get install failed"
  else
    rc_die "missing Debian packages: $missing
  Install them with:  sudo apt-get install $missing"
  fi
}

# Whether the shim is newer than everything it is built from: native/, and (Debian's libtorch) the package database;
# an official libtorch (LIBTORCH, Torch_DIR) may change behind our back, so then CMake always decides.
rc_native_fresh() {
  local stamp="$RC_NATIVE_BUILD/.built"
  [ -z "${LIBTORCH:-}${Torch_DIR:-}" ] && [ -f "$stamp" ] && [ -f "$RC_NATIVE_BUILD/libregionclip_native.so" ] \
    && { [ ! -e /var/lib/dpkg/status ] || [ "$stamp" -nt /var/lib/dpkg/status ]; } \
    && [ -z "$(find "$RC_ROOT/native" "$RC_NATIVE_BUILD/CMakeCache.txt" -newer "$stamp" -print -quit)" ]
}

rc_build_native() {
  rc_native_fresh && return   # skips make's scan of libtorch's headers (~0.4 s of every start)
  local prefix=()
  [ -n "${LIBTORCH:-}" ] && prefix=("-DCMAKE_PREFIX_PATH=$LIBTORCH")
  [ -n "${Torch_DIR:-}" ] && prefix+=("-DTorch_DIR=$Torch_DIR")
  if [ ! -f "$RC_NATIVE_BUILD/CMakeCache.txt" ]; then
    rc_log "configuring the native shim (libtorch)"
    cmake -S "$RC_ROOT/native" -B "$RC_NATIVE_BUILD" -DCMAKE_BUILD_TYPE="${RC_BUILD_TYPE:-Release}" "${prefix[@]}" >"$RC_ROOT/build/native-configure.log" 2>&1 \
      || { cat "$RC_ROOT/build/native-configure.log" >&2; rc_die "cmake could not configure native/ (is libtorch installed? see above)"; }
  fi
  cmake --build "$RC_NATIVE_BUILD" -j "$(nproc 2>/dev/null || echo 2)" >"$RC_ROOT/build/native-build.log" 2>&1 \
    || { tail -n 40 "$RC_ROOT/build/native-build.log" >&2; rc_die "building the native shim failed (full log: build/native-build.log)"; }
  touch "$RC_NATIVE_BUILD/.built"
}

# Builds the CLI into build/cli unless it is newer than every managed source.
rc_build_cli() {
  local dll="$RC_ROOT/build/cli/RegionClip.Cli.dll"
  if [ -f "$dll" ] && [ -z "$(find "$RC_ROOT/src" "$RC_ROOT/Directory.Build.props" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -newer "$dll" -print -quit)" ]; then
    return
  fi
  rc_log "building the CLI"
  dotnet build "$RC_ROOT/src/RegionClip.Cli/RegionClip.Cli.csproj" -c Release -o "$RC_ROOT/build/cli" -nologo -v quiet >"$RC_ROOT/build/cli-build.log" 2>&1 \
    || { grep -E "error|Error" "$RC_ROOT/build/cli-build.log" | sort -u >&2; rc_die "building the CLI failed (full log: build/cli-build.log)"; }
  touch "$dll"
}

rc_setup() {
  mkdir -p "$RC_ROOT/build"
  rc_ensure_dotnet
  rc_ensure_native_deps
  rc_build_native
}
