#!/bin/sh
# Container entry point: `docker run IMAGE` runs a silo; `docker run IMAGE migrate` (or seed-demo)
# runs that one-shot command. Orleans must advertise an address the other silos can reach: unless
# Orleans__AdvertisedIPAddress is set, use this container's own address on its network.
set -eu

if [ -z "${Orleans__AdvertisedIPAddress:-}" ]; then
  ip=$(hostname -i 2>/dev/null | awk '{ print $1 }' || true)
  if [ -z "$ip" ] || [ "$ip" = "127.0.0.1" ]; then
    ip=$(awk -v h="$(hostname)" '$2 == h { print $1; exit }' /etc/hosts)
  fi
  if [ -z "$ip" ]; then
    echo "docker-entrypoint: cannot find this container's IP address; set Orleans__AdvertisedIPAddress" >&2
    exit 1
  fi
  export Orleans__AdvertisedIPAddress="$ip"
fi

exec dotnet /app/Telemedicina.Host.dll "$@"
