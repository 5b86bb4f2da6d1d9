#!/usr/bin/env bash
# ApplicationStop: stop the silo gracefully. systemctl stop sends SIGTERM and waits: the host
# leaves the Orleans cluster, hands its grains over and drains requests within its 45 s shutdown
# timeout (TimeoutStopSec=60 in the unit is the hard limit). Also run by CodeDeploy's termination
# hook on scale-in. CodeDeploy runs this script from the previously installed revision.
set -euo pipefail

if systemctl is-active --quiet telemedicina; then
  started=$(date +%s)
  systemctl stop telemedicina
  echo "telemedicina stopped gracefully in $(( $(date +%s) - started ))s"
else
  echo "telemedicina is not running"
fi
