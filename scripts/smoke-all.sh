#!/usr/bin/env bash
# Runs the four smoke scripts in turn; stops at the first failure.
# Usage: BASE_URL=http://127.0.0.1:8080 scripts/smoke-all.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for name in company user video media; do
    printf '== smoke-%s\n' "$name"
    "$here/smoke-$name.sh"
done
printf 'ok   all smoke scripts passed\n'
