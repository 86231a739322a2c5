# Shared by scripts/stack and scripts/test (source it, then call ensure_venv).
# Creates .venv at the repo root when missing and installs requirements-dev.txt, every
# service's requirements.txt, and (editable) libs/media-common plus the service folders.
# The install is skipped when a stamp (hash of those files) shows nothing changed.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
SERVICE_DIRS=(company-service user-service video-service)

_venv_log() { printf '[venv] %s\n' "$*" >&2; }

_pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Everything that decides what gets installed, in a fixed order.
_install_inputs() {
    local dir
    echo "requirements-dev.txt"
    echo "libs/media-common/pyproject.toml"
    for dir in "${SERVICE_DIRS[@]}"; do
        [ -f "$REPO_ROOT/$dir/pyproject.toml" ] && echo "$dir/pyproject.toml"
        [ -f "$REPO_ROOT/$dir/requirements.txt" ] && echo "$dir/requirements.txt"
    done
    return 0
}

_install_hash() {
    local f
    {
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        for f in $(_install_inputs); do
            echo "== $f"
            cat "$REPO_ROOT/$f"
        done
    } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py="$(_pick_python)" || {
            echo "error: Python >= 3.11 is needed (python3 -m venv); set PYTHON=/path/to/python3.11" >&2
            return 1
        }
        _venv_log "creating $VENV with $py"
        "$py" -m venv "$VENV" || {
            echo "error: '$py -m venv' failed (Debian/Ubuntu: apt-get install -y python3-venv)" >&2
            return 1
        }
    fi
    local stamp="$VENV/.media-resource-install.sha256" want
    want="$(_install_hash)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    local args=(-r "$REPO_ROOT/requirements-dev.txt" -e "$REPO_ROOT/libs/media-common")
    local dir
    for dir in "${SERVICE_DIRS[@]}"; do
        if [ -f "$REPO_ROOT/$dir/pyproject.toml" ]; then
            [ -f "$REPO_ROOT/$dir/requirements.txt" ] && args+=(-r "$REPO_ROOT/$dir/requirements.txt")
            args+=(-e "$REPO_ROOT/$dir")
        else
            _venv_log "skipping $dir (no pyproject.toml yet)"
        fi
    done
    _venv_log "installing packages into $VENV (requirements changed)"
    local started=$SECONDS
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >/dev/null 2>&1 || true
    local log="$VENV/pip-install.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${args[@]}" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "error: pip install failed (full output: $log)" >&2
        return 1
    fi
    echo "$want" >"$stamp"
    _venv_log "packages installed ($((SECONDS - started))s)"
}
