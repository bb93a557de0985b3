# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# RabbitMQ for the cloud (ctl1 only, also in the ha layout). Listens on all
# addresses on 5672; the product adds its own user.
systemctl enable rabbitmq-server >/dev/null 2>&1
if ! systemctl is-active -q rabbitmq-server; then
  systemctl restart rabbitmq-server
fi
rabbitmqctl -q await_startup --timeout 120 >/dev/null
