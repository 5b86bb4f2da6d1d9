#!/usr/bin/env bash
# Uploads a revision and deploys it to the `silos` deployment group, waiting for the outcome:
#   deploy/codedeploy/deploy.sh REVISION_ZIP ARTIFACTS_BUCKET CODEDEPLOY_APPLICATION
# Exit code 0 only when the deployment succeeded; on failure CodeDeploy has rolled back
# (AutoRollbackConfiguration in deploy/aws/pipeline.yaml) and the error is printed.
set -euo pipefail

(( $# == 3 )) || { echo "usage: $0 REVISION_ZIP ARTIFACTS_BUCKET CODEDEPLOY_APPLICATION" >&2; exit 2; }
zip=$1 bucket=$2 application=$3
key="revisions/$(basename "$zip")"
timeout_s=${DEPLOY_TIMEOUT_SECONDS:-1800}

aws s3 cp --only-show-errors "$zip" "s3://$bucket/$key"
id=$(aws deploy create-deployment \
  --application-name "$application" \
  --deployment-group-name silos \
  --s3-location "bucket=$bucket,key=$key,bundleType=zip" \
  --file-exists-behavior OVERWRITE \
  --description "${GITHUB_REPOSITORY:-local}@${GITHUB_SHA:-$(basename "$zip")}" \
  --query deploymentId --output text)
echo "deployment $id started"

deadline=$(( $(date +%s) + timeout_s ))
while (( $(date +%s) < deadline )); do
  status=$(aws deploy get-deployment --deployment-id "$id" --query deploymentInfo.status --output text)
  case $status in
    Succeeded) echo "deployment $id succeeded"; exit 0 ;;
    Failed|Stopped)
      aws deploy get-deployment --deployment-id "$id" --query 'deploymentInfo.[errorInformation,rollbackInfo]' --output json >&2
      echo "deployment $id $status" >&2
      exit 1 ;;
    *) echo "$(date -u +%T) $status"; sleep 15 ;;
  esac
done
echo "deployment $id did not finish within ${timeout_s}s" >&2
exit 1
