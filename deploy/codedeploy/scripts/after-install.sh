#!/usr/bin/env bash
# AfterInstall: write /etc/telemedicina/env (the unit's EnvironmentFile) from the stack facts the
# user data left in /etc/telemedicina/stack.env and the secrets in Secrets Manager, re-read on
# every deployment so a rotated secret is picked up by the next deploy. Then route the silo's
# console (JSON) log to the file the CloudWatch agent ships.
set -euo pipefail

STACK_ENV=/etc/telemedicina/stack.env
[[ -r $STACK_ENV ]] || { echo "$STACK_ENV missing: was the instance launched by the app stack?" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
source "$STACK_ENV"
set +a
: "${AWS_REGION:?}" "${UPLOADS_BUCKET:?}" "${AUDIT_BUCKET:?}" "${DB_SECRET_ARN:?}" "${TURN_SECRET_ARN:?}" "${APP_SECRET_ARN:?}" "${DOMAIN_NAME:?}" "${TURN_DOMAIN_NAME:?}"

imds() {
  local token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
secret() {
  aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" --query SecretString --output text
}

private_ip=$(imds local-ipv4)
instance_id=$(imds instance-id)
db=$(secret "$DB_SECRET_ARN")
turn_secret=$(secret "$TURN_SECRET_ARN")
app_settings=$(secret "$APP_SECRET_ARN" | jq -r 'to_entries[] | "\(.key)=\(.value)"')

# The RDS certificate authorities, so Npgsql verifies the server (SSL Mode=VerifyFull).
curl -fsS --retry 5 -o /etc/telemedicina/rds-ca.pem "https://truststore.pki.rds.amazonaws.com/$AWS_REGION/$AWS_REGION-bundle.pem"
chmod 0644 /etc/telemedicina/rds-ca.pem

connection="Host=$(jq -r .host <<<"$db");Port=$(jq -r .port <<<"$db");Username=$(jq -r .username <<<"$db");Password=$(jq -r .password <<<"$db");Database=telemedicina;SSL Mode=VerifyFull;Root Certificate=/etc/telemedicina/rds-ca.pem"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<ENV
# Written by deploy/codedeploy/scripts/after-install.sh on $(date -u +%FT%TZ); do not edit.
ConnectionStrings__Postgres=$connection
Urls=http://0.0.0.0:8080
ForwardedHeaders__KnownNetworks__0=$VPC_CIDR
Node__Name=$instance_id
Orleans__ClusterId=telemedicina-$ENVIRONMENT_NAME
Orleans__ServiceId=telemedicina
Orleans__SiloPort=11111
Orleans__GatewayPort=30000
Orleans__AdvertisedIPAddress=$private_ip
Storage__Provider=S3
Storage__S3__Bucket=$UPLOADS_BUCKET
Storage__S3__Prefix=files
Storage__S3__CheckpointBucket=$AUDIT_BUCKET
Storage__S3__CheckpointPrefix=checkpoints
AWS_REGION=$AWS_REGION
Turn__Urls__0=turn:$TURN_DOMAIN_NAME:3478?transport=udp
Turn__Urls__1=turn:$TURN_DOMAIN_NAME:3478?transport=tcp
Turn__Urls__2=turns:$TURN_DOMAIN_NAME:443?transport=tcp
Turn__Secret=$turn_secret
Email__PublicBaseUrl=https://$DOMAIN_NAME
OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT
OTEL_SERVICE_NAME=telemedicina
OTEL_TRACES_SAMPLER=parentbased_traceidratio
OTEL_TRACES_SAMPLER_ARG=${OTEL_TRACES_SAMPLER_ARG:-0.05}
$app_settings
ENV
install -m 0640 -o root -g telemedicina "$tmp" /etc/telemedicina/env

# Console log -> file for the CloudWatch agent (systemd opens it, so ProtectSystem does not apply).
install -d /etc/systemd/system/telemedicina.service.d
cat > /etc/systemd/system/telemedicina.service.d/10-aws.conf <<'UNIT'
[Service]
StandardOutput=append:/var/log/telemedicina/app.log
StandardError=inherit
UNIT

chown -R root:telemedicina /opt/telemedicina
chmod -R u=rwX,g=rX,o= /opt/telemedicina
systemctl daemon-reload
echo "env written for $instance_id ($private_ip)"
