# shellcheck shell=bash
# Shared functions for the Mistral Console test lab (lab/up, lab/down, lab/ssh,
# lab/check-support). Sourced, never executed. Everything here runs on the
# host as root; see docs/lab.md for what the lab is.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_STATE="${LAB_STATE:-/var/lib/mistral-console-lab}"
LAB_CACHE="${LAB_CACHE:-/var/cache/mistral-console-lab}"
LAB_BRIDGE="mclab0"
LAB_HOST_ADDR="10.77.0.1"
LAB_PREFIX="24"
LAB_SUBNET="10.77.0.0/24"
LAB_NFT_TABLE="mclab"
LAB_SUITE="bookworm"
LAB_KEY="$LAB_STATE/id_ed25519"
LAB_KNOWN_HOSTS="$LAB_STATE/known_hosts"
LAB_BASE="$LAB_CACHE/base"
LAB_CLOUD="$LAB_CACHE/cloud"
# Written into the images; the provisioning scripts look for it too.
LAB_MARK_FILE="/etc/mistral-console-lab"

# Packages of the cached "cloud" layer: an existing OpenStack control plane,
# installed but not configured (debconf preseeded, services configured later
# by provisioning).
LAB_CLOUD_PACKAGES=(
  mariadb-server mariadb-client rabbitmq-server keystone python3-pymysql
  python3-openstackclient openstack-dashboard-apache haproxy curl
)

log() { printf '[lab %4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- timing
# Phases print one line each so the figures can be copied into docs/lab.md.
declare -A LAB_T0=()
phase_start() { LAB_T0[$1]=$SECONDS; log "phase $1: start"; }
phase_end() {
  local took=$((SECONDS - ${LAB_T0[$1]}))
  printf '[lab] TIMING %-14s %4ds%s\n' "$1" "$took" "${2:+ ($2)}" >&2
}

require_root() { [[ $EUID -eq 0 ]] || die "must run as root"; }

# One lab/up or lab/down at a time (tests may start them concurrently).
# fd 9 is closed for the node processes so they do not keep the lock.
lab_lock() {
  mkdir -p "$LAB_STATE"
  exec 9>"$LAB_STATE/.lock"
  if ! flock -n 9; then
    log "another lab/up or lab/down is running, waiting for it"
    flock 9
  fi
}

# ---------------------------------------------------------------- layouts
# One line per node: name address roles(comma separated).
layout_nodes() {
  case "$1" in
    small) printf '%s\n' "ctl1 10.77.0.11 controller" "mis1 10.77.0.21 mistral" ;;
    ha) printf '%s\n' "ctl1 10.77.0.11 controller" "ctl2 10.77.0.12 controller" \
      "mis1 10.77.0.21 mistral" "mis2 10.77.0.22 mistral" ;;
    *) die "unknown layout '$1' (expected small or ha)" ;;
  esac
}

# The address the cloud's endpoints are published on. small has one
# controller, so its own address serves; ha has a VIP carried by ctl1.
layout_vip() {
  case "$1" in
    small) echo "10.77.0.11" ;;
    ha) echo "10.77.0.10" ;;
    *) die "unknown layout '$1'" ;;
  esac
}

layout_names() { layout_nodes "$1" | awk '{print $1}'; }
node_address() { layout_nodes "$1" | awk -v n="$2" '$1 == n {print $2}'; }
node_roles() { layout_nodes "$1" | awk -v n="$2" '$1 == n {print $3}'; }
layout_controllers() { layout_nodes "$1" | awk '$3 ~ /controller/ {print $1}'; }

# ---------------------------------------------------------------- apt mirror
# The mirrors come from the host's own apt configuration so the lab uses
# whatever mirror this machine is allowed to reach. Prints "main security".
host_mirrors() {
  local src=/etc/apt/sources.list.d/debian.sources main="" sec=""
  if [[ -r $src ]]; then
    # deb822: remember the URIs of each stanza, decide on its Suites line.
    read -r main sec < <(awk '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) {
          if ($i ~ /-security$/ && sec == "") sec = uri
          else if ($i !~ /-/ && main == "") main = uri } }
      END { print main, sec }' "$src")
  fi
  if [[ -z $main && -r /etc/apt/sources.list ]]; then
    main=$(awk '$1 == "deb" && $3 !~ /-/ {print $2; exit}' /etc/apt/sources.list)
    sec=$(awk '$1 == "deb" && $3 ~ /-security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  [[ -n $main ]] || return 1
  # Without a security entry on the host, fall back to the main mirror's
  # sibling path, as Debian's own layout has it.
  [[ -n $sec ]] || sec="${main%/debian}/debian-security"
  echo "$main $sec"
}

# ---------------------------------------------------------------- host setup
ensure_host_packages() {
  local missing=() p
  for p in debootstrap systemd-container openssh-client iproute2 nftables; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing host packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# Bridge, forwarding and our own nftables table (other tables are untouched).
ensure_host_network() {
  if ! ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip link add "$LAB_BRIDGE" type bridge
  fi
  if ! ip -4 addr show dev "$LAB_BRIDGE" | grep -q "inet $LAB_HOST_ADDR/"; then
    ip addr add "$LAB_HOST_ADDR/$LAB_PREFIX" dev "$LAB_BRIDGE"
  fi
  ip link set "$LAB_BRIDGE" up
  sysctl -q -w net.ipv4.ip_forward=1
  # Recreate the table wholesale: cheap, and keeps re-runs from stacking rules.
  nft -f - <<EOF
table ip $LAB_NFT_TABLE
delete table ip $LAB_NFT_TABLE
table ip $LAB_NFT_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $LAB_SUBNET ip daddr != $LAB_SUBNET masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$LAB_BRIDGE" accept
    oifname "$LAB_BRIDGE" ct state established,related accept
  }
}
EOF
}

remove_host_network() {
  nft delete table ip "$LAB_NFT_TABLE" 2>/dev/null || true
  ip link del "$LAB_BRIDGE" 2>/dev/null || true
}

ensure_lab_key() {
  mkdir -p "$LAB_STATE"
  chmod 0700 "$LAB_STATE"
  if [[ ! -f $LAB_KEY ]]; then
    ssh-keygen -q -t ed25519 -N '' -C "mistral-console-lab" -f "$LAB_KEY"
  fi
  touch "$LAB_KNOWN_HOSTS"
}

# ---------------------------------------------------------------- images
# Runs a command inside an image directory (not booted). nspawn sets up
# /proc, /sys and /dev and shares the host's network, which apt needs.
# --keep-unit/--register=no: the host has no systemd or D-Bus.
image_run() {
  local dir=$1; shift
  # The filter drops nspawn's harmless complaint that it may not clean up
  # /run/systemd/nspawn/propagate (the host's /run is not a tmpfs here).
  systemd-nspawn -q --register=no --keep-unit --resolv-conf=copy-host \
    --timezone=off -D "$dir" --pipe -E DEBIAN_FRONTEND=noninteractive "$@" \
    </dev/null 2> >(grep -v --line-buffered 'Attempted to remove disk file system' >&2)
}

build_base_image() {
  if [[ -f $LAB_BASE.done ]]; then
    log "base image cached at $LAB_BASE"
    return 0
  fi
  local mirrors main sec tmp="$LAB_BASE.tmp"
  mirrors=$(host_mirrors) || die "no Debian mirror found in the host's apt sources"
  read -r main sec <<<"$mirrors"
  rm -rf "$tmp"
  mkdir -p "$LAB_CACHE"
  log "debootstrap $LAB_SUITE (minbase) from the host's mirror into $tmp"
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,openssh-server,iproute2,python3,sudo,ca-certificates,procps,less \
    "$LAB_SUITE" "$tmp" "$main" >"$LAB_CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $LAB_CACHE/debootstrap.log"

  # debootstrap only configures the release suite: add updates and security.
  rm -f "$tmp/etc/apt/sources.list"
  cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $main
Suites: $LAB_SUITE $LAB_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec
Suites: $LAB_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Keep images small and apt quiet in nodes.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$tmp/etc/apt/apt.conf.d/90mclab-norecommends"
  # minbase writes no /etc/hosts; nodes get the full list at creation.
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
  # Per-node identity is created per node: no machine-id, no host keys here.
  : >"$tmp/etc/machine-id"
  rm -f "$tmp"/etc/ssh/ssh_host_*
  # Static addresses come from systemd-networkd; root logs in by key only.
  image_run "$tmp" systemctl enable systemd-networkd >/dev/null 2>&1
  # A node's console is not a terminal anyone reads.
  image_run "$tmp" systemctl mask getty@tty1.service console-getty.service >/dev/null 2>&1 || true
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$tmp/etc/ssh/sshd_config.d/10-mclab.conf"
  echo "base" >"$tmp$LAB_MARK_FILE"
  image_run "$tmp" apt-get update -q >>"$LAB_CACHE/debootstrap.log" 2>&1 ||
    die "apt-get update in the base image failed, see $LAB_CACHE/debootstrap.log"
  image_run "$tmp" apt-get -y -q full-upgrade >>"$LAB_CACHE/debootstrap.log" 2>&1 ||
    die "upgrading the base image failed, see $LAB_CACHE/debootstrap.log"
  image_run "$tmp" apt-get clean
  mv "$tmp" "$LAB_BASE"
  touch "$LAB_BASE.done"
}

# Control-plane packages on top of the base, preseeded so no package
# configures a database, an admin tenant or an endpoint by itself: that is
# the provisioning's job (and Mistral's packages the product's).
build_cloud_image() {
  if [[ -f $LAB_CLOUD.done ]]; then
    log "cloud image cached at $LAB_CLOUD"
    return 0
  fi
  local tmp="$LAB_CLOUD.tmp" try
  # A tree left by an interrupted or failed build is resumed: apt-get
  # install and the preseeding are idempotent, and most of the time went
  # into downloads and postinsts already done.
  if [[ ! -d $tmp ]]; then
    cp -a "$LAB_BASE" "$tmp"
  fi
  image_run "$tmp" debconf-set-selections <<'EOF' || die "preseeding the cloud image failed"
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
openstack-dashboard horizon/allowed-hosts string *
openstack-dashboard-apache horizon/activate_vhost boolean true
openstack-dashboard-apache horizon/use_ssl boolean false
EOF
  # No service may start while packages install in the image.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  log "installing control-plane packages into the cloud image (log: $LAB_CACHE/cloud.log)"
  image_run "$tmp" apt-get update -q >"$LAB_CACHE/cloud.log" 2>&1 ||
    die "apt-get update in the cloud image failed, see $LAB_CACHE/cloud.log"
  # openstack-dashboard's postinst ("manage.py compress") sometimes fails
  # with a bogus SCSS syntax error and succeeds when simply run again.
  for try in 1 2 3; do
    if image_run "$tmp" apt-get install -y -q "${LAB_CLOUD_PACKAGES[@]}" >>"$LAB_CACHE/cloud.log" 2>&1; then
      break
    fi
    ((try < 3)) || die "installing the cloud packages failed, see $LAB_CACHE/cloud.log"
    log "package configuration failed (try $try), running dpkg --configure -a again"
    image_run "$tmp" dpkg --configure -a >>"$LAB_CACHE/cloud.log" 2>&1 || true
  done
  # Horizon at / on port 80 without SSL, decided here rather than by the
  # preseed: the package's config script re-derives the answer from
  # /etc/default/openstack-dashboard-apache, and on a clean install it
  # ended up at /horizon anyway. Its trigger rebuilds the static files, which
  # rebuild_horizon_static below does again, reliably.
  printf 'HORIZON_ACTIVATE_VHOSTS=yes\nHORIZON_USE_SSL=no\n' >"$tmp/etc/default/openstack-dashboard-apache"
  image_run "$tmp" dpkg-reconfigure -fnoninteractive openstack-dashboard-apache >>"$LAB_CACHE/cloud.log" 2>&1 || true
  settle_dpkg "$tmp"
  [[ -e $tmp/etc/apache2/sites-enabled/openstack-dashboard.conf ]] ||
    die "Horizon's vhost is not enabled in the cloud image, see $LAB_CACHE/cloud.log"
  rebuild_horizon_static "$tmp"
  image_run "$tmp" apt-get clean
  rm -f "$tmp/usr/sbin/policy-rc.d"
  # Keys made at install time would be shared by every lab ever built from
  # this cache: drop them, provisioning makes fresh ones per node.
  rm -rf "$tmp"/etc/keystone/fernet-keys "$tmp"/etc/keystone/credential-keys
  rm -f "$tmp"/var/lib/rabbitmq/.erlang.cookie
  rm -f "$tmp"/var/lib/openstack-dashboard/secret-key/.secret_key_store
  echo "cloud" >"$tmp$LAB_MARK_FILE"
  mv "$tmp" "$LAB_CLOUD"
  touch "$LAB_CLOUD.done"
}

# A failed postinst or trigger leaves a package half-configured, and the
# product's first apt-get in a node would then trip over it: configure
# until dpkg reports nothing pending.
settle_dpkg() {
  local dir=$1 try
  for try in 1 2 3 4; do
    image_run "$dir" dpkg --configure -a >>"$LAB_CACHE/cloud.log" 2>&1 || true
    if [[ -z $(image_run "$dir" dpkg --audit 2>/dev/null) ]]; then
      return 0
    fi
    log "dpkg reports unfinished packages in the image (try $try), configuring again"
  done
  die "packages in $dir stay half-configured, see $LAB_CACHE/cloud.log"
}

# Horizon serves offline-compressed CSS/JS: a compress run that failed half
# way leaves a manifest without some keys and every page then answers 500
# (OfflineGenerationError). "manage.py compress" sometimes fails with a bogus
# SCSS syntax error and succeeds when run again, so retry until it passes.
rebuild_horizon_static() {
  local dir=$1 try manage=/usr/share/openstack-dashboard/manage.py
  for try in 1 2 3 4; do
    if image_run "$dir" sh -c "$manage collectstatic --noinput --clear && $manage compress --force" \
      >>"$LAB_CACHE/cloud.log" 2>&1; then
      break
    fi
    ((try < 4)) || die "Horizon's static files do not build, see $LAB_CACHE/cloud.log"
    log "Horizon's compress step failed (try $try), running it again"
  done
  rm -f "$dir"/var/lib/openstack-dashboard/secret-key/.secret_key_store
  image_run "$dir" chown -R www-data /var/lib/openstack-dashboard/secret-key /var/lib/openstack-dashboard/static
}

# ---------------------------------------------------------------- node files
node_dir() { echo "$LAB_STATE/$1"; }
node_root() { echo "$LAB_STATE/$1/root"; }
node_pidfile() { echo "$LAB_STATE/$1.pid"; }
node_logfile() { echo "$LAB_STATE/$1.log"; }
node_image() { [[ $2 == *controller* ]] && echo "$LAB_CLOUD" || echo "$LAB_BASE"; }

# overlayfs saves a full copy per node (~8 MB instead of ~1 GB); probe once
# and remember, so a sandbox without it still works with cp -a.
overlay_supported() {
  local t rc=0
  t=$(mktemp -d "$LAB_STATE/.ovl-probe.XXXXXX")
  mkdir -p "$t"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m"
  else
    rc=1
  fi
  rm -rf "$t"
  return "$rc"
}

# Mounts (or copies) the node's root from its image. Idempotent.
node_prepare_root() {
  local name=$1 image=$2 dir root
  dir=$(node_dir "$name")
  root=$(node_root "$name")
  mkdir -p "$dir"
  if mountpoint -q "$root"; then
    return 0
  fi
  if [[ -f $dir/copy ]]; then
    return 0
  fi
  if [[ -d $dir/upper ]] || { [[ ! -d $root ]] && overlay_supported; }; then
    mkdir -p "$dir"/{upper,work} "$root"
    mount -t overlay "mclab-$name" \
      -o "lowerdir=$image,upperdir=$dir/upper,workdir=$dir/work" "$root"
    echo "overlay" >"$dir/storage"
  else
    cp -a "$image" "$root"
    echo "copy" >"$dir/storage"
    touch "$dir/copy"
  fi
}

hosts_file_for() {
  local layout=$1 n a
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  printf '%s\tmclab-host\n' "$LAB_HOST_ADDR"
  if [[ $layout == ha ]]; then
    printf '%s\tvip\n' "$(layout_vip "$layout")"
  fi
  while read -r n a _; do
    printf '%s\t%s\n' "$a" "$n"
  done < <(layout_nodes "$layout")
}

# Identity and network of one node, written into its root before first boot.
node_configure() {
  local layout=$1 name=$2 addr=$3 root dns
  root=$(node_root "$name")
  echo "$name" >"$root/etc/hostname"
  systemd-id128 new >"$root/etc/machine-id"
  rm -f "$root"/etc/ssh/ssh_host_*
  ssh-keygen -q -A -f "$root" >/dev/null
  hosts_file_for "$layout" >"$root/etc/hosts"
  dns=$(awk '$1 == "nameserver" {print "DNS=" $2}' /etc/resolv.conf)
  # 10-host0.network sorts before the shipped 80-container-host0.network,
  # which would otherwise win and leave only a link-local address.
  {
    printf '[Match]\nName=host0\n\n[Network]\nAddress=%s/%s\n' "$addr" "$LAB_PREFIX"
    # ha: ctl1 answers for the VIP; HAProxy on both controllers binds it
    # thanks to ip_nonlocal_bind, as a keepalived pair would.
    if [[ $layout == ha && $name == ctl1 ]]; then
      printf 'Address=%s/%s\n' "$(layout_vip "$layout")" "$LAB_PREFIX"
    fi
    printf 'Gateway=%s\n%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' "$LAB_HOST_ADDR" "$dns"
  } >"$root/etc/systemd/network/10-host0.network"
  # No resolved in the image: a static resolv.conf with the host's servers.
  grep '^nameserver' /etc/resolv.conf >"$root/etc/resolv.conf" || true
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$LAB_KEY.pub" "$root/root/.ssh/authorized_keys"
  ssh-keygen -q -R "$addr" -f "$LAB_KNOWN_HOSTS" >/dev/null 2>&1 || true
  ssh-keygen -q -R "$name" -f "$LAB_KNOWN_HOSTS" >/dev/null 2>&1 || true
  rm -f "$LAB_KNOWN_HOSTS.old"
}

# ---------------------------------------------------------------- node runtime
# PID of the node's systemd-nspawn process, or nothing.
node_nspawn_pid() {
  local pidfile pid
  pidfile=$(node_pidfile "$1")
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ -n $pid && -r /proc/$pid/comm && $(<"/proc/$pid/comm") == systemd-nspawn ]] || return 1
  echo "$pid"
}

node_running() { node_nspawn_pid "$1" >/dev/null; }

# The container's PID 1: the child of nspawn whose innermost pid is 1.
node_leader_pid() {
  local npid c kids=()
  npid=$(node_nspawn_pid "$1") || return 1
  read -ra kids < <(cat /proc/"$npid"/task/*/children 2>/dev/null)
  for c in "${kids[@]}"; do
    if awk '/^NSpid:/ { exit !($NF == 1) }' "/proc/$c/status" 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

node_exec() {
  local name=$1 leader
  shift
  leader=$(node_leader_pid "$name") || return 1
  nsenter -t "$leader" -a "$@"
}

node_boot() {
  local name=$1 root log pid
  root=$(node_root "$name")
  log=$(node_logfile "$name")
  # setsid: the node must outlive this script and its terminal/session.
  setsid systemd-nspawn --boot --register=no --keep-unit -M "$name" -D "$root" \
    --network-bridge="$LAB_BRIDGE" --resolv-conf=off --timezone=off \
    >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$(node_pidfile "$name")"
  sleep 0.5
  node_running "$name" || die "node $name did not start, see $log"
}

ssh_opts() {
  printf '%s\n' -i "$LAB_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile=$LAB_KNOWN_HOSTS" \
    -o ConnectTimeout=5 -o LogLevel=ERROR
}

lab_ssh() {
  local addr=$1 opts
  shift
  mapfile -t opts < <(ssh_opts)
  # shellcheck disable=SC2029 # the command is meant to run on the node
  ssh "${opts[@]}" "root@$addr" "$@"
}

# Waits until systemd in the node settled and sshd takes the lab key.
node_wait_ready() {
  local name=$1 addr=$2 timeout=${3:-180} state="" deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    node_running "$name" || die "node $name stopped while booting, see $(node_logfile "$name")"
    state=$(node_exec "$name" systemctl is-system-running 2>/dev/null || true)
    if [[ $state == running || $state == degraded ]]; then
      break
    fi
    sleep 1
  done
  [[ $state == running || $state == degraded ]] ||
    die "node $name: systemd did not settle in ${timeout}s (state '$state')"
  if [[ $state == degraded ]]; then
    log "node $name is degraded: $(node_exec "$name" systemctl --failed --plain --no-legend | awk '{print $1}' | xargs)"
  fi
  while ((SECONDS < deadline)); do
    if lab_ssh "$addr" true 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  die "node $name: sshd on $addr does not accept the lab key"
}

# Sends a script to a node on stdin (secrets stay out of argv), where it is
# written to a private temp file and run with stdin from /dev/null: commands
# such as rabbitmqctl would otherwise eat the rest of a script read from stdin.
# Extra NAME=value arguments become variables at the top of the script.
run_script() {
  local addr=$1 script=$2 kv remote
  shift 2
  # shellcheck disable=SC2016 # expands on the node
  remote='f=$(mktemp); chmod 600 "$f"; cat >"$f"; rc=0; bash "$f" </dev/null || rc=$?; rm -f "$f"; exit $rc'
  {
    echo 'set -euo pipefail'
    for kv in "$@"; do
      printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    cat "$LAB_DIR/node/common.sh" "$script"
  } | lab_ssh "$addr" "$remote"
}

# Stops a node: SIGTERM makes nspawn power the container off cleanly.
node_stop() {
  local name=$1 pid i
  if pid=$(node_nspawn_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 1
    done
    if [[ -d /proc/$pid ]]; then
      log "node $name did not power off in 60 s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -f "$(node_pidfile "$name")"
}

node_remove() {
  local name=$1 dir root addr
  dir=$(node_dir "$name")
  root=$(node_root "$name")
  node_stop "$name"
  if mountpoint -q "$root"; then
    umount "$root" || umount -l "$root"
  fi
  rm -rf "$dir"
  # The console log stays for post-mortems; a new node of that name starts it afresh.
  rm -f "$LAB_STATE/$name.provisioned"
}
