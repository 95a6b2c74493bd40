#!/usr/bin/env bash
# Make sure the Debian packages a make target needs are installed: scripts/system-deps.sh PKG...
#
# Known packages: graphviz (the 'dot' program), chromium, chromium-driver (chromedriver),
# python3-venv (what 'python3 -m venv' needs on Debian). For each one whose program is
# missing: as root with apt-get, install it (one 'apt-get update' first); otherwise print
# how to install it and exit 1.
set -euo pipefail

PYTHON=${PYTHON:-python3}

# is_present PKG: exit 0 when what PKG provides is already usable.
is_present() {
    case "$1" in
        graphviz) command -v dot >/dev/null 2>&1 ;;
        chromium) command -v chromium >/dev/null 2>&1 ;;
        chromium-driver) command -v chromedriver >/dev/null 2>&1 ;;
        python3-venv) "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
        *) echo "system-deps.sh: unknown package '$1'" >&2; exit 2 ;;
    esac
}

# explain PKG: what is missing, and how to run the tests without it.
explain() {
    case "$1" in
        graphviz) echo "glassgrad: the Graphviz 'dot' program is missing" \
            "(tests that need it are marked 'dot': .venv/bin/pytest -m 'not dot' runs the rest)" ;;
        chromium) echo "glassgrad: the 'chromium' browser is missing" \
            "(tests that need it are marked 'browser': .venv/bin/pytest -m 'not browser' runs the rest)" ;;
        chromium-driver) echo "glassgrad: the 'chromedriver' program is missing" \
            "(tests that need it are marked 'browser': .venv/bin/pytest -m 'not browser' runs the rest)" ;;
        python3-venv) echo "glassgrad: '$PYTHON -m venv' does not work (no ensurepip)" ;;
    esac
}

missing=()
for pkg in "$@"; do
    is_present "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "glassgrad: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
    exit 0
fi

for pkg in "${missing[@]}"; do
    explain "$pkg" >&2
done
echo "glassgrad: install with: sudo apt-get install ${missing[*]}" >&2
exit 1
