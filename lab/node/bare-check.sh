# shellcheck shell=bash
# Run on a node by run_script (lab/lib.sh), after node/common.sh.
# A bare Mistral node must reach the Debian mirror (through the host's NAT)
# and the controllers' services, or the product cannot deploy onto it.
# Needs: VIP DB_ADDR
apt-get update -q >/dev/null
wait_port "$VIP" 5000 10
wait_port "$DB_ADDR" 3306 10
wait_port "$DB_ADDR" 5672 10
