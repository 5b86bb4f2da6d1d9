#!/usr/bin/env bash
# BeforeInstall: the service user and a clean application directory (no stale assemblies from the
# previous revision are left next to the new ones).
set -euo pipefail

if ! id telemedicina >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/telemedicina --shell /usr/sbin/nologin telemedicina
fi
install -d -m 0755 /opt/telemedicina /var/log/telemedicina
install -d -m 0750 -o root -g telemedicina /etc/telemedicina
find /opt/telemedicina -mindepth 1 -delete
