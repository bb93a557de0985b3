# shellcheck shell=bash
# Helpers prepended to every provisioning script run on a node (see
# run_script in lab/lib.sh). Variables set by the caller come before this.

# Random secret of 24 [A-Za-z0-9] characters, made on the node so it never
# travels through the host's disk.
gen_secret() {
  python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(24)))'
}

# Sets key = value in [section] of an ini file, keeping comments: removes
# the key's active lines in that section and writes it under the header.
ini_set() {
  python3 - "$@" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:5]
with open(path) as f:
    lines = f.readlines()
out, cur, placed = [], None, False
for line in lines:
    m = re.match(r'\s*\[([^\]]+)\]', line)
    if m:
        cur = m.group(1)
        out.append(line)
        if cur == section and not placed:
            out.append(f"{key} = {value}\n")
            placed = True
        continue
    if cur == section and re.match(r'\s*' + re.escape(key) + r'\s*=', line):
        continue
    out.append(line)
if not placed:
    out.append(f"\n[{section}]\n{key} = {value}\n")
with open(path, "w") as f:
    f.writelines(out)
PY
}

# Value of key in [section], empty if unset.
ini_get() {
  python3 - "$@" <<'PY'
import configparser, sys
c = configparser.RawConfigParser(strict=False)
c.read(sys.argv[1])
print(c.get(sys.argv[2], sys.argv[3], fallback=""))
PY
}

# Waits until a TCP port answers (services report "active" well before).
wait_port() {
  local host=$1 port=$2 timeout=${3:-120} i
  for ((i = 0; i < timeout; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  echo "port $host:$port did not answer in ${timeout}s" >&2
  return 1
}

# Runs a command with its output kept aside, shown only if it fails
# (keystone-manage prints harmless eventlet tracebacks on every exit).
quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "failed ($rc): $*" >&2
    cat "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}
