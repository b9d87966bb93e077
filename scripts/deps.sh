#!/bin/sh
# Install what building and testing prochist needs, when it is missing:
# a C compiler, make, pkg-config, SQLite 3 and cJSON development files, and
# the sqlite3 and jq command-line tools used by the tests (and, on Linux,
# /usr/bin/time, and python3 with jsonschema, which tests/e2e/contract.sh
# validates JSON output with); and, for the report test (tests/e2e/report.sh) only, a
# headless Chromium and python3, which the full mode installs and --check
# never asks for (that test prints "skip - " without them).
# Debian/Ubuntu (apt-get) and macOS (Homebrew). Quiet when nothing is missing.
#
#   sh scripts/deps.sh                  install what is missing (make deps, make run, .ci/run)
#   sh scripts/deps.sh --check          only say what the build lacks; exit 1 if anything
#   sh scripts/deps.sh --check --tools  the same, with the tests' tools (sqlite3, jq, curl)
# A plain `make` and `make install` use --check only: a packager's build is
# offline and must never install anything.
set -eu

if [ "${1:-}" = --check ]; then
    missing=""
    command -v cc >/dev/null 2>&1 || command -v "${CC:-cc}" >/dev/null 2>&1 || missing="$missing a C compiler (cc),"
    if ! command -v pkg-config >/dev/null 2>&1; then
        missing="$missing pkg-config,"
    else
        pkg-config --exists sqlite3 2>/dev/null || missing="$missing SQLite 3 development files (pkg-config sqlite3),"
        pkg-config --exists libcjson 2>/dev/null || missing="$missing cJSON development files (pkg-config libcjson),"
    fi
    if [ "${2:-}" = --tools ]; then
        for t in sqlite3 jq curl; do
            command -v $t >/dev/null 2>&1 || missing="$missing the $t command,"
        done
    fi
    if [ -n "$missing" ]; then
        echo "deps: missing:${missing%,}. Install them (make deps does, with apt-get or Homebrew)" >&2
        exit 1
    fi
    exit 0
fi

have_libs() {
    command -v pkg-config >/dev/null 2>&1 &&
        pkg-config --exists sqlite3 libcjson 2>/dev/null
}
have_tools() {
    command -v sqlite3 >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 &&
        command -v cc >/dev/null 2>&1 &&
        { [ "$(uname -s)" != Linux ] || { [ -x /usr/bin/time ] && python3 -c 'import jsonschema' 2>/dev/null; }; }
}

have_browser() {
    command -v python3 >/dev/null 2>&1 &&
        { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
            command -v google-chrome >/dev/null 2>&1; }
}

# The browser is only looked for where apt-get can install it.
if have_libs && have_tools && { have_browser || [ "$(uname -s)" != Linux ]; }; then
    exit 0
fi

case "$(uname -s)" in
Linux)
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps: install pkg-config, SQLite 3 and cJSON development files, sqlite3 and jq with your package manager" >&2
        exit 1
    fi
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO="sudo"
    fi
    echo "deps: installing build and test dependencies with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # time: /usr/bin/time -v, an independent figure in tests/e2e/accounting.sh
    # python3-jsonschema: the JSON Schemas of docs/schema/ in tests/e2e/contract.sh
    $SUDO apt-get install -y -qq build-essential pkg-config libsqlite3-dev libcjson-dev sqlite3 jq curl time \
        python3-jsonschema >/dev/null
    # The report test's browser: optional, so a failure here is only said.
    have_browser || $SUDO apt-get install -y -qq chromium python3 >/dev/null ||
        echo "deps: could not install chromium and python3; the report test will skip its browser checks" >&2
    ;;
Darwin)
    if ! command -v brew >/dev/null 2>&1; then
        echo "deps: install Homebrew (https://brew.sh), then run this again" >&2
        exit 1
    fi
    echo "deps: installing build and test dependencies with Homebrew" >&2
    brew install pkg-config sqlite cjson jq curl
    ;;
*)
    echo "deps: unsupported system $(uname -s)" >&2
    exit 1
    ;;
esac

have_libs || { echo "deps: SQLite 3 or cJSON still not found by pkg-config" >&2; exit 1; }
