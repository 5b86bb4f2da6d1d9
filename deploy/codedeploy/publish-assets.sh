#!/usr/bin/env bash
# Serves the web UI's bundles from CloudFront (deploy/aws/edge.yaml) for one environment:
#   deploy/codedeploy/publish-assets.sh REVISION_ZIP ASSETS_BUCKET ASSETS_BASE_URL
# 1. builds src/Web with TELEMEDICINA_ASSETS_BASE=ASSETS_BASE_URL (index.html then names
#    ASSETS_BASE_URL/assets/<name>-<hash>.js|css);
# 2. uploads the hashed bundles to s3://ASSETS_BUCKET/assets/ with a one-year immutable cache and
#    index.html with no-cache (the CDN and browsers revalidate it every time);
# 3. puts that index.html into the revision (app/wwwroot/index.html, which the silos serve) with
#    app/appsettings.Production.json = {"Web":{"AssetsBaseUrl":ASSETS_BASE_URL}}, so the host's
#    Content-Security-Policy allows the CDN's origin.
# Run it BEFORE deploy.sh: the new index.html must never name a bundle the CDN does not have yet.
# Nothing is deleted: instances still on the previous revision (rolling deploy, rollback) name the
# previous bundles; the bucket is versioned and small.
set -euo pipefail

(( $# == 3 )) || { echo "usage: $0 REVISION_ZIP ASSETS_BUCKET ASSETS_BASE_URL" >&2; exit 2; }
revision=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bucket=$2
base=$3
[[ $base == */ ]] || base="$base/"
# The distribution serves the bucket's root, where the bundles go: no path in the URL.
[[ $base =~ ^https://[^/?#]+/$ ]] || { echo "ASSETS_BASE_URL must be https://<CloudFront or alias domain>/ (no path, no query): $3" >&2; exit 2; }
[[ -f $revision ]] || { echo "$revision: no such revision" >&2; exit 1; }
if unzip -l "$revision" app/appsettings.Production.json > /dev/null 2>&1; then
  echo "$revision already has app/appsettings.Production.json; merge Web:AssetsBaseUrl into it by hand" >&2
  exit 1
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The CDN build (the default `npm run build` output in the host's wwwroot is left alone).
(cd "$root/src/Web" && TELEMEDICINA_ASSETS_BASE="$base" npx vite build --outDir "$work/web" --emptyOutDir)
grep -Fq "src=\"${base}assets/" "$work/web/index.html" \
  || { echo "the CDN build's index.html does not load its bundles from $base" >&2; exit 1; }

# 2. Bundles first (immutable: their names change with their content), then the page shell.
aws s3 sync "$work/web/assets" "s3://$bucket/assets/" \
  --cache-control 'public, max-age=31536000, immutable' --only-show-errors
aws s3 cp "$work/web/index.html" "s3://$bucket/index.html" \
  --cache-control 'no-cache' --content-type 'text/html; charset=utf-8' --only-show-errors

# 3. The revision's page shell and the host setting that goes with it.
install -D -m 0644 "$work/web/index.html" "$work/revision/app/wwwroot/index.html"
printf '{\n  "Web": {\n    "AssetsBaseUrl": "%s"\n  }\n}\n' "$base" > "$work/revision/app/appsettings.Production.json"
(cd "$work/revision" && zip -q "$revision" app/wwwroot/index.html app/appsettings.Production.json)
echo "assets: s3://$bucket/assets/ ($(find "$work/web/assets" -type f | wc -l) files) for $base; revision updated: $revision"
