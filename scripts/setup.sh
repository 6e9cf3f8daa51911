#!/usr/bin/env bash
# Idempotent set-up for circuitsim: system ngspice (>= 42, KLU, libngspice.so)
# plus a Python venv in .venv with `pip install -e .[test,docs]`. Safe to re-run;
# a second run only checks and takes a few seconds.
#
# Environment:
#   CIRCUITSIM_SKIP_SYSTEM=1  never touch apt; only check ngspice and fail if unsuitable
#   PYTHON=/path/to/python    interpreter for the venv (default: python3)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
STAMP="$VENV/.circuitsim-installed"
PY="${PYTHON:-python3}"
NGSPICE_MIN=42
BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.list
BACKPORTS_LINE="deb http://deb.debian.org/debian bookworm-backports main"

die() {
    printf 'setup.sh: %s\n' "$*" >&2
    exit 1
}

# --- privilege helpers -------------------------------------------------------

can_root() { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -q -y "$@"
}

# Value of a field in /etc/os-release (empty if absent).
os_field() {
    [ -r /etc/os-release ] || return 0
    sed -n "s/^$1=//p" /etc/os-release | tr -d "\"'"
}

# --- ngspice -----------------------------------------------------------------

NG_MAJOR="" NG_KLU="" NG_LIB=""

# Fill NG_MAJOR / NG_KLU / NG_LIB; succeed if ngspice and libngspice.so are usable.
ngspice_probe() {
    local out="" ldc ldout="" cand
    NG_MAJOR="" NG_KLU="" NG_LIB=""
    if command -v ngspice >/dev/null 2>&1; then
        out="$(ngspice --version </dev/null 2>&1 || true)"
    fi
    if [[ $out =~ ngspice-([0-9]+) ]]; then
        NG_MAJOR="${BASH_REMATCH[1]}"
    fi
    if [[ $out == *KLU* ]]; then
        NG_KLU=1
    fi
    # PySpice dlopens "libngspice.so" (the -dev symlink), so look for exactly that.
    ldc="$(command -v ldconfig || echo /sbin/ldconfig)"
    if [ -x "$ldc" ]; then
        ldout="$("$ldc" -p 2>/dev/null || true)"
        NG_LIB="$(printf '%s\n' "$ldout" | sed -n 's/.*libngspice\.so (.*=> //p')"
        NG_LIB="${NG_LIB%%$'\n'*}"
    fi
    if [ -z "$NG_LIB" ]; then
        for cand in /usr/lib/*-linux-gnu/libngspice.so /usr/lib64/libngspice.so \
            /usr/local/lib/libngspice.so /usr/lib/libngspice.so; do
            if [ -e "$cand" ]; then
                NG_LIB="$cand"
                break
            fi
        done
    fi
    [ -n "$NG_MAJOR" ] && [ "$NG_MAJOR" -ge "$NGSPICE_MIN" ] && [ -n "$NG_LIB" ]
}

ngspice_state() {
    local s
    if [ -n "$NG_MAJOR" ]; then s="ngspice $NG_MAJOR"; else s="no ngspice on PATH"; fi
    if [ -n "$NG_MAJOR" ] && [ -z "$NG_KLU" ]; then s="$s without KLU"; fi
    if [ -n "$NG_LIB" ]; then s="$s, $NG_LIB"; else s="$s, libngspice.so not found"; fi
    printf '%s' "$s"
}

ngspice_fail() {
    cat >&2 <<EOF
setup.sh: $1
Found: $(ngspice_state).
Please install ngspice >= $NGSPICE_MIN built with KLU, plus its shared library libngspice.so, then re-run scripts/setup.sh:
  Debian 12:     echo '$BACKPORTS_LINE' | sudo tee $BACKPORTS_LIST
                 sudo apt-get update
                 sudo apt-get install -y -t bookworm-backports ngspice libngspice0 libngspice0-dev
  Ubuntu 24.04+: sudo apt install ngspice libngspice0-dev   (Debian 13+: the same)
  other:         build ngspice >= $NGSPICE_MIN from source (https://ngspice.sourceforge.io), twice:
                 ./configure --enable-klu --enable-openmp && make && sudo make install        (ngspice program)
                 ./configure --with-ngshared --enable-klu --enable-openmp && make && sudo make install  (libngspice.so)
                 sudo ldconfig
EOF
    exit 1
}

# Try to install ngspice with apt. errexit is off in here (called under ||),
# hence the explicit `|| return 1`.
ngspice_install() {
    local id codename ver
    command -v apt-get >/dev/null 2>&1 || return 1
    can_root || return 1
    id="$(os_field ID)"
    codename="$(os_field VERSION_CODENAME)"
    ver="$(os_field VERSION_ID)"
    if [ "$id" = debian ] && [ "$codename" = bookworm ]; then
        echo "ngspice: installing from bookworm-backports (found: $(ngspice_state))"
        if ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list \
            /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
            printf '%s\n' "$BACKPORTS_LINE" | as_root tee "$BACKPORTS_LIST" >/dev/null || return 1
        fi
        as_root apt-get -q update || return 1
        apt_install -t bookworm-backports ngspice libngspice0 libngspice0-dev || return 1
    elif { [ "$id" = debian ] && { [ -z "$ver" ] || [ "${ver%%.*}" -ge 13 ]; }; } ||
        { [ "$id" = ubuntu ] && [ -n "$ver" ] && [ "${ver%%.*}" -ge 24 ]; }; then
        # Debian 13+/testing/sid and Ubuntu 24.04+ ship ngspice >= 42 in main.
        echo "ngspice: installing with apt (found: $(ngspice_state))"
        as_root apt-get -q update || return 1
        apt_install ngspice libngspice0 libngspice0-dev || return 1
    else
        return 1
    fi
}

step_ngspice() {
    if ! ngspice_probe; then
        if [ "${CIRCUITSIM_SKIP_SYSTEM:-0}" = 1 ]; then
            ngspice_fail "CIRCUITSIM_SKIP_SYSTEM=1 and no suitable ngspice is installed."
        fi
        ngspice_install || ngspice_fail "could not install ngspice automatically on this system."
        ngspice_probe || ngspice_fail "ngspice is still unsuitable after installing."
    fi
    if [ -n "$NG_KLU" ]; then
        echo "ngspice $NG_MAJOR with KLU: ok ($NG_LIB)"
    else
        echo "ngspice $NG_MAJOR: ok ($NG_LIB) -- WARNING: built without KLU, large circuits will be slow" >&2
    fi
}

# --- Python venv -------------------------------------------------------------

PY_OK='import sys; sys.exit(sys.version_info < (3, 10))'
VENV_NEW=0

venv_healthy() {
    [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/pip" ] && "$VENV/bin/python" -c "$PY_OK" 2>/dev/null
}

step_venv() {
    local out
    if ! venv_healthy; then
        command -v "$PY" >/dev/null 2>&1 || die "$PY not found; Python >= 3.10 is required (set PYTHON=/path/to/python3.x)."
        if ! "$PY" -c "$PY_OK"; then
            die "Python >= 3.10 is required, but $PY is $("$PY" -c 'import platform; print(platform.python_version())'). Install a newer Python or set PYTHON=/path/to/python3.x."
        fi
        if ! out="$("$PY" -m venv --clear "$VENV" 2>&1)"; then
            # Debian/Ubuntu split venv/ensurepip into python3-venv.
            if [ "${CIRCUITSIM_SKIP_SYSTEM:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1 && can_root; then
                echo "venv: installing python3-venv"
                apt_install python3-venv || die "apt-get install python3-venv failed."
                out="$("$PY" -m venv --clear "$VENV" 2>&1)" || die "'$PY -m venv' failed: $out"
            else
                die "'$PY -m venv' failed (on Debian/Ubuntu: sudo apt-get install python3-venv): $out"
            fi
        fi
        "$VENV/bin/python" -m pip install -q --upgrade pip
        VENV_NEW=1
    fi
    echo "venv: ok ($VENV, Python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'))"
}

# --- package -----------------------------------------------------------------

# The distribution is circuitsim-ngspice (import name circuitsim), with its test and docs extras.
DIST=circuitsim-ngspice
EXTRAS=test,docs
# badcrossbar (compared against by tests/test_interop_badcrossbar.py and benchmarks/bench_badcrossbar.py)
# goes in without its dependencies: its plotting needs pycairo, which has no Linux wheel and would need
# the cairo headers to build; its compute() needs only numpy, scipy and pathvalidate (in the test extra).
BADCROSSBAR=badcrossbar==1.1.0

step_package() {
    local hash old
    hash="$({ cat "$REPO/pyproject.toml"; echo "$BADCROSSBAR"; } | sha256sum | cut -d ' ' -f 1)"
    if [ "$VENV_NEW" = 0 ] && [ -x "$VENV/bin/circuitsim" ] &&
        [ "$(cat "$STAMP" 2>/dev/null || true)" = "$hash" ]; then
        echo "$DIST[$EXTRAS]: ok (up to date)"
        return
    fi
    rm -f "$STAMP"
    # This repository was installed as "circuitsim" before the rename: drop that editable install
    # (only if it points here; PyPI's unrelated "circuitsim" is left alone).
    old="$("$VENV/bin/python" -m pip show circuitsim 2>/dev/null | sed -n 's/^Editable project location: //p' || true)"
    if [ -n "$old" ] && [ "$(cd "$old" 2>/dev/null && pwd -P)" = "$(cd "$REPO" && pwd -P)" ]; then
        "$VENV/bin/python" -m pip uninstall -q -y circuitsim
    fi
    "$VENV/bin/python" -m pip install -q -e "${REPO}[$EXTRAS]"
    "$VENV/bin/python" -m pip install -q --no-deps "$BADCROSSBAR" ||
        echo "setup.sh: could not install $BADCROSSBAR; its comparison tests will be skipped" >&2
    printf '%s\n' "$hash" >"$STAMP"
    echo "$DIST[$EXTRAS]: ok (installed)"
}

step_ngspice
step_venv
step_package
# Byte-compile the package: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every
# start would otherwise recompile it, which costs ~50 ms per `circuitsim` command.
"$VENV/bin/python" -m compileall -q "$REPO/circuitsim" >/dev/null
