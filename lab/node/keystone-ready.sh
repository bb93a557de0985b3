# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# Waits until Keystone issues a token (the first one takes 15-25 s after a
# restart), then makes sure the service project exists.
# Needs: TIMEOUT
# shellcheck disable=SC1091
source /root/openrc
deadline=$((SECONDS + TIMEOUT))
until openstack token issue -f value -c id >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    echo "keystone issued no token in ${TIMEOUT}s" >&2
    openstack token issue >&2 || true
    exit 1
  fi
  sleep 3
done
if ! openstack project show service -f value -c id >/dev/null 2>&1; then
  openstack project create --domain default --description "Service Project" service >/dev/null
fi
