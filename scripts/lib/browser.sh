# Shared by scripts/test: the headless browser of the console tests is Debian's chromium
# (Playwright drives it; `playwright install` downloads its own builds and cannot run here).
# Installs it with apt-get when missing and we may (root, apt-get present).

ensure_chromium() {
    local bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
    [ -x "$bin" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[browser] installing chromium (apt-get)" >&2
        local log="${VENV:-/tmp}/apt-chromium.log"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$log" 2>&1; then
            apt-get update -q >>"$log" 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$log" 2>&1 || {
                tail -n 20 "$log" >&2
                echo "error: apt-get install chromium failed (full output: $log)" >&2
                return 1
            }
        fi
        return 0
    fi
    echo "warning: $bin not found; the console browser tests will fail (apt-get install chromium, or set CHROMIUM_BIN)" >&2
}
