#!/usr/bin/env bash
# ValidateService: wait until the silo answers 200 on /health/ready (database reachable and the
# silo active in the Orleans cluster). Fails the deployment - and CodeDeploy rolls back - when it
# does not within VALIDATE_TIMEOUT_SECONDS.
set -euo pipefail

URL=${VALIDATE_URL:-http://127.0.0.1:8080/health/ready}
TIMEOUT=${VALIDATE_TIMEOUT_SECONDS:-240}
deadline=$(( $(date +%s) + TIMEOUT ))
status=000

while (( $(date +%s) < deadline )); do
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL" || true)
  if [[ $status == 200 ]]; then
    echo "ready: $URL answered 200"
    exit 0
  fi
  if ! systemctl is-active --quiet telemedicina; then
    echo "telemedicina is not running (last answer $status)" >&2
    break
  fi
  sleep 3
done

echo "not ready after ${TIMEOUT}s: $URL last answered $status" >&2
curl -s --max-time 5 "$URL" >&2 || true
journalctl -u telemedicina -n 50 --no-pager >&2 || true
tail -n 50 /var/log/telemedicina/app.log >&2 || true
exit 1
