#!/usr/bin/env bash
# ApplicationStart: start the silo (migrations run at startup under an advisory lock, so several
# instances starting together is safe). ValidateService then waits for readiness.
set -euo pipefail

systemctl daemon-reload
systemctl enable telemedicina
systemctl restart telemedicina
