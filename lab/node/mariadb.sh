# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# MariaDB for the cloud, on the database controller (ctl1). Serves other
# nodes, so it binds the management address; root keeps unix-socket auth.
# Needs: MGMT_ADDR
cat >/etc/mysql/mariadb.conf.d/99-mistral-console-lab.cnf <<CNF
# mistral-console-lab: serve the other lab nodes on the management network.
[mysqld]
bind-address = $MGMT_ADDR
max_connections = 500
CNF
systemctl enable mariadb >/dev/null 2>&1
systemctl restart mariadb
wait_port "$MGMT_ADDR" 3306 60
mysql -e 'SELECT 1' >/dev/null
