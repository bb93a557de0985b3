# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# Every controller: Horizon on :80 against the VIP's Keystone, HAProxy with
# a base config the product extends. Secondary controllers (ha: ctl2) use
# ctl1's MariaDB, RabbitMQ and Keystone, so those services are off there.
# Needs: MGMT_ADDR VIP LAYOUT PRIMARY (yes|no)

if [[ $PRIMARY != yes ]]; then
  systemctl disable --now -q mariadb rabbitmq-server keystone 2>/dev/null || true
fi

# --- Horizon
settings=/etc/openstack-dashboard/local_settings.py
sed -i \
  -e "s|^OPENSTACK_HOST = .*|OPENSTACK_HOST = \"$VIP\"|" \
  -e 's|^OPENSTACK_KEYSTONE_URL = .*|OPENSTACK_KEYSTONE_URL = "http://%s:5000/v3" % OPENSTACK_HOST|' \
  -e "s|^ALLOWED_HOSTS = .*|ALLOWED_HOSTS = ['*']|" \
  "$settings"
grep -q "^OPENSTACK_HOST = \"$VIP\"" "$settings"
# Debian 12 ships the vhost with WSGIProcessGroup commented out: requests
# then land in different processes and, with the per-process LocMemCache
# sessions, login loops back to the login page.
site=/etc/apache2/sites-available/openstack-dashboard.conf
if ! grep -q '^\s*WSGIProcessGroup horizon' "$site"; then
  sed -i '/^\s*WSGIDaemonProcess horizon/a\    WSGIProcessGroup horizon\n    WSGIApplicationGroup %{GLOBAL}' "$site"
fi
a2dissite -q 000-default default-ssl openstack-dashboard-alias-only >/dev/null 2>&1 || true
a2ensite -q openstack-dashboard >/dev/null
apache2ctl configtest 2>/dev/null
systemctl enable -q apache2
systemctl restart apache2
wait_port "$MGMT_ADDR" 80 60
# The login page renders templates and offline-compressed assets: a broken
# Horizon answers 500 here while the port is open.
code=""
for _ in $(seq 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$MGMT_ADDR/auth/login/" || true)
  [[ $code == 200 ]] && break
  sleep 1
done
[[ $code == 200 ]] || { echo "Horizon's login page answers $code" >&2; exit 1; }

# --- HAProxy
if [[ $LAYOUT == ha ]]; then
  # Both controllers bind the VIP although only ctl1 carries it, as a
  # keepalived pair would.
  echo 'net.ipv4.ip_nonlocal_bind = 1' >/etc/sysctl.d/60-mistral-console-lab.conf
  sysctl -q -w net.ipv4.ip_nonlocal_bind=1
fi
cfg=/etc/haproxy/haproxy.cfg
# Written once: the product appends its own sections, a re-run keeps them.
if ! grep -q 'mistral-console-lab base config' "$cfg"; then
  cat >"$cfg" <<CFG
# mistral-console-lab base config (global, defaults, a status page).
# Deployments add their own sections below, e.g. "listen mistral_api".
global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin
    stats timeout 30s
    user haproxy
    group haproxy
    daemon

defaults
    log global
    mode http
    option httplog
    option dontlognull
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    errorfile 400 /etc/haproxy/errors/400.http
    errorfile 403 /etc/haproxy/errors/403.http
    errorfile 408 /etc/haproxy/errors/408.http
    errorfile 500 /etc/haproxy/errors/500.http
    errorfile 502 /etc/haproxy/errors/502.http
    errorfile 503 /etc/haproxy/errors/503.http
    errorfile 504 /etc/haproxy/errors/504.http

# HAProxy will not start without a listener: its own status page, on this
# controller's management address so no two controllers compete for it.
listen stats
    bind $MGMT_ADDR:8404
    stats enable
    stats uri /
    stats refresh 10s

CFG
fi
haproxy -c -q -f "$cfg"
systemctl enable -q haproxy
if systemctl is-active -q haproxy; then
  systemctl reload haproxy
else
  systemctl restart haproxy
fi
wait_port "$MGMT_ADDR" 8404 30
systemctl is-active -q haproxy
