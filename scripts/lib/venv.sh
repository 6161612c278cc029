# Sourced by scripts/: one Python venv (target/venv-tools) with the pinned tools of python-tools.txt.
# shellcheck shell=bash
# Debian 12's python3 refuses system-wide `pip install` (PEP 668), so every Python tool the
# scripts use lives in this venv. Usage: `source scripts/lib/venv.sh; venv_install NAME…`;
# afterwards the venv's bin/ leads PATH (its python3, st, check-jsonschema, hadolint…).

TOOLS_VENV=${TOOLS_VENV:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/venv-tools"}
TOOLS_PINS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/python-tools.txt"

# Creates the venv once; Debian keeps venv support (ensurepip) in a package of its own.
venv_create() {
  [ -x "$TOOLS_VENV/bin/python" ] && return 0
  mkdir -p "$(dirname "$TOOLS_VENV")"
  if ! python3 -m venv "$TOOLS_VENV" >/dev/null 2>&1; then
    rm -rf "$TOOLS_VENV"
    echo "installing python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -yqq --no-install-recommends python3 python3-venv >/dev/null
    python3 -m venv "$TOOLS_VENV"
  fi
}

# Installs the pinned version of each named tool that is missing or at another version.
venv_install() {
  local name spec specs=() missing
  for name in "$@"; do
    spec=$(grep -iE "^${name}==" "$TOOLS_PINS") || {
      echo "venv.sh: $name is not pinned in $TOOLS_PINS" >&2
      return 1
    }
    specs+=("$spec")
  done
  mkdir -p "$(dirname "$TOOLS_VENV")"
  # Two scripts at once must not build the same venv.
  exec {lock}>"$TOOLS_VENV.lock"
  flock "$lock"
  venv_create
  missing=$("$TOOLS_VENV/bin/python" - "${specs[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for spec in sys.argv[1:]:
    name, wanted = spec.split("==")
    try:
        if version(name) == wanted:
            continue
    except PackageNotFoundError:
        pass
    print(spec)
PY
  )
  if [ -n "$missing" ]; then
    echo "installing into $TOOLS_VENV: $(echo "$missing" | tr '\n' ' ')" >&2
    # shellcheck disable=SC2086 # one requirement a word
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$TOOLS_VENV/bin/python" -m pip install -q $missing
  fi
  flock -u "$lock"
  exec {lock}>&-
  export PATH="$TOOLS_VENV/bin:$PATH"
}
