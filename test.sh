#!/usr/bin/env bash
# Runs every test of Mistral Console on a fresh Debian 12 machine: installs the Debian packages the
# tests drive for real (Chromium for the browser test, OpenSSH and sudo for the SSH runner,
# PostgreSQL for the store tests), then the whole solution's tests.
set -euo pipefail
cd "$(dirname "$0")"

packages=(chromium openssh-server openssh-client sudo postgresql)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "==> Installing Debian packages: ${missing[*]}"
  apt_get=(apt-get)
  if [[ $(id -u) -ne 0 ]]; then apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "==> Debian packages present: ${packages[*]}"
fi

command -v dotnet >/dev/null || { echo "dotnet (SDK 10) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }

log=$(mktemp)
# The system test brings the lab up (tests/Mistral.Console.SystemTests). On CI, take down whatever
# it started so no container outlives the run; a developer's running lab is left alone.
lab_was_up=$(cat /var/lib/mistral-console-lab/current-layout 2>/dev/null || true)
cleanup() {
  rm -f "$log"
  if [[ -n ${CI:-} && -z $lab_was_up && -s /var/lib/mistral-console-lab/current-layout ]]; then
    ./lab/down --layout "$(cat /var/lib/mistral-console-lab/current-layout)" || true
  fi
}
trap cleanup EXIT
# -m:1 runs the test assemblies one after another: on a small CI machine the SSH engine tests and
# the browser test starve each other of CPU when run side by side.
echo "==> dotnet test Mistral.Console.sln"
set +e
dotnet test Mistral.Console.sln -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One line per test assembly ("Passed!  - Failed: 0, Passed: 70, Skipped: 0, Total: 70, ..."): add them up.
read -r passed failed skipped < <(
  sed -nE 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+), Total.*/\2 \1 \3/p' "$log" |
    awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}')
assemblies=$(grep -cE 'Failed: +[0-9]+, Passed: +[0-9]+' "$log" || true)

echo
echo "==> ${assemblies} test assemblies"
echo "Total: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -ne 0 ]]; then
  echo "FAILED (dotnet test exited with ${status})" >&2
  exit "$status"
fi
if [[ $passed -eq 0 ]]; then
  echo "FAILED: no test ran" >&2
  exit 1
fi
