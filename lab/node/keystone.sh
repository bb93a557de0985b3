# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# Keystone on ctl1, backed by MariaDB, bootstrapped with a random admin
# password that only /root/openrc (0600) holds. Endpoints on the VIP.
# Needs: VIP MGMT_ADDR
conf=/etc/keystone/keystone.conf
url="http://$VIP:5000/v3/"

# Reuse secrets of an earlier run so provisioning can be repeated.
admin_pw=""
if [[ -f /root/openrc ]]; then
  admin_pw=$(sed -n 's/^export OS_PASSWORD=//p' /root/openrc | tr -d "'\"")
fi
[[ -n $admin_pw ]] || admin_pw=$(gen_secret)
conn=$(ini_get "$conf" database connection)
if [[ $conn == mysql+pymysql://keystone:* ]]; then
  db_pw=${conn#mysql+pymysql://keystone:}
  db_pw=${db_pw%%@*}
else
  db_pw=$(gen_secret)
fi

mysql <<SQL
CREATE DATABASE IF NOT EXISTS keystone;
CREATE USER IF NOT EXISTS 'keystone'@'localhost' IDENTIFIED BY '$db_pw';
CREATE USER IF NOT EXISTS 'keystone'@'%' IDENTIFIED BY '$db_pw';
ALTER USER 'keystone'@'localhost' IDENTIFIED BY '$db_pw';
ALTER USER 'keystone'@'%' IDENTIFIED BY '$db_pw';
GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'localhost';
GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'%';
FLUSH PRIVILEGES;
SQL

ini_set "$conf" database connection "mysql+pymysql://keystone:$db_pw@$MGMT_ADDR/keystone"
ini_set "$conf" token provider fernet
chown root:keystone "$conf"
chmod 0640 "$conf"

quiet su -s /bin/sh -c 'keystone-manage db_sync' keystone
quiet keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
quiet keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
# The password goes through the environment, not argv.
OS_BOOTSTRAP_PASSWORD=$admin_pw quiet keystone-manage bootstrap \
  --bootstrap-username admin --bootstrap-project-name admin \
  --bootstrap-role-name admin \
  --bootstrap-admin-url "$url" --bootstrap-internal-url "$url" \
  --bootstrap-public-url "$url" --bootstrap-region-id RegionOne

umask 077
cat >/root/openrc <<RC
export OS_AUTH_URL=http://$VIP:5000/v3
export OS_USERNAME=admin
export OS_PASSWORD=$admin_pw
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
RC
chmod 0600 /root/openrc

# Debian's uwsgi ini starts 8 processes x 32 threads, each loading all of
# Keystone: on 2 cores that makes every restart crawl. 2 are plenty here.
ini_set /etc/keystone/keystone-uwsgi.ini uwsgi processes 2

systemctl enable keystone >/dev/null 2>&1
systemctl restart keystone
wait_port "$MGMT_ADDR" 5000 120
