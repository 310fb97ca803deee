#!/usr/bin/env bash
# The Debian packages the test suite needs, each recognised by a command it provides.
# Run first by `npm test` and by `.ci/run`:
#   - nothing missing: says nothing, exits 0;
#   - something missing and this user can install (root, or passwordless sudo, with apt-get):
#     one `apt-get update`, then one `apt-get install` of everything missing;
#   - otherwise: prints the one command that would install it and exits 1, before any test runs.
# `--check` only reports (exit 1 when something is missing).
# VIDEOAPP_SKIP_SYSTEM_PACKAGES=1 skips all of this, for a machine that cannot have them
# (another OS, no admin rights): the tests that need a missing one are then skipped, saying why
# (tests/support/requires.ts).
set -euo pipefail

if [[ "${VIDEOAPP_SKIP_SYSTEM_PACKAGES:-}" == 1 ]]; then
  exit 0
fi

# command:package, and which tests use it.
NEEDED=(
  chromium:chromium         # every end-to-end test (playwright-core drives Debian's build)
  firefox-esr:firefox-esr   # the cross-engine calls (puppeteer-core over WebDriver BiDi)
  turnserver:coturn         # the TURN relay tests and `npm run turn`
  redis-server:redis-server # the Redis store and signal bus
  janus:janus               # the SFU for larger rooms
  nginx:nginx               # the reverse proxy in front of several server processes
  iptables:iptables         # packet loss and blocked UDP in the network tests
  ping:iputils-ping         # looking into a test namespace by hand when a network test fails
  ip:iproute2               # the network namespaces the network tests build
  pkill:procps              # the crashed-browser test (and sysctl in the namespaces)
  espeak-ng:espeak-ng       # speech for the noise-suppression test's fake microphone
  sox:sox                   # mixes that speech with noise (the same test)
  pulseaudio:pulseaudio     # a sound server with no speakers, so Firefox runs Web Audio (the same test)
)

# Where the tests are told to use another build (the variables they read), that one will do.
override_for() {
  case "$1" in
    chromium) echo "${CHROMIUM_PATH:-}" ;;
    firefox-esr) echo "${FIREFOX_PATH:-}" ;;
    turnserver) echo "${TURNSERVER_PATH:-}" ;;
  esac
}

has_command() {
  local override
  override="$(override_for "$1")"
  [[ -n "$override" && -x "$override" ]] && return 0
  # A user without /usr/sbin on PATH still has what lives there (nginx, iptables, ip).
  command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" || -x "/sbin/$1" ]]
}

missing=()
for entry in "${NEEDED[@]}"; do
  has_command "${entry%%:*}" || missing+=("${entry#*:}")
done
((${#missing[@]} == 0)) && exit 0

install_command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
explain() {
  echo "The tests need these Debian packages, which this machine lacks: ${missing[*]}" >&2
  echo "$1" >&2
  echo "Or run the suite without them (their tests are then skipped, saying why):" >&2
  echo "  VIDEOAPP_SKIP_SYSTEM_PACKAGES=1 npm test" >&2
}

if [[ "${1:-}" == --check ]]; then
  explain "Install them with:
  sudo sh -c '$install_command'"
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  explain "This machine has no apt-get: install the same programs with its own package manager, then run npm test again."
  exit 1
fi
as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  else
    explain "Installing them needs root. Run this once, then npm test again:
  sudo sh -c '$install_command'"
    exit 1
  fi
fi

echo "installing: ${missing[*]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# apt's own output is long; it is shown only if the install fails.
if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "installing ${missing[*]} failed (output above)" >&2
  exit 1
fi

# A package that installed but did not bring its command would otherwise surface as test failures.
for entry in "${NEEDED[@]}"; do
  has_command "${entry%%:*}" || {
    echo "${entry#*:} is installed but ${entry%%:*} is still not found" >&2
    exit 1
  }
done
