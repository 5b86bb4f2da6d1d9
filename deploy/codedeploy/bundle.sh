#!/usr/bin/env bash
# Assembles the CodeDeploy revision (zip) from a `dotnet publish` output directory:
#   deploy/codedeploy/bundle.sh PUBLISH_DIR OUTPUT_ZIP
# Layout: appspec.yml, app/, systemd/telemedicina.service, scripts/*.sh (see appspec.yml).
set -euo pipefail

(( $# == 2 )) || { echo "usage: $0 PUBLISH_DIR OUTPUT_ZIP" >&2; exit 2; }
publish=$(cd "$1" && pwd)
output=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

[[ -f $publish/Telemedicina.Host.dll ]] || { echo "$publish has no Telemedicina.Host.dll" >&2; exit 1; }
[[ -f $publish/wwwroot/index.html ]] || { echo "$publish has no wwwroot/index.html (build src/Web first)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/appspec.yml" "$stage/"
cp -R "$publish" "$stage/app"
install -D -m 0644 "$root/deploy/systemd/telemedicina.service" "$stage/systemd/telemedicina.service"
install -d "$stage/scripts"
install -m 0755 "$here"/scripts/*.sh "$stage/scripts/"

mkdir -p "$(dirname "$output")"
output=$(cd "$(dirname "$output")" && pwd)/$(basename "$output")
rm -f "$output"
(cd "$stage" && zip -qr "$output" .)
echo "revision: $output ($(du -h "$output" | cut -f1))"
