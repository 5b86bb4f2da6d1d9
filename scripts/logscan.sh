#!/usr/bin/env bash
# logscan: fails when a secret or a piece of personal data appears in log files.
#
#   scripts/logscan.sh [--allow-empty] PATH...
#
# PATH is a log file or a directory (every *.log under it). ./test.sh runs it on the silo logs of
# its own run (TELEMEDICINA_TEST_LOG_DIR). What it looks for:
#   password       the demo password and the passwords the tests use; the demo TOTP secret
#   jwt            a JSON Web Token (header.payload, both base64url JSON)
#   dp-token       an ASP.NET Core Data Protection payload (2FA challenge, e-mail/reset tokens)
#   refresh-token  43 base64url characters (32 random bytes), or a value named refresh token
#   cpf            a CPF, formatted (000.000.000-00) or as 11 digits with valid check digits
#   sdp            SDP lines (v=0, a=candidate, a=ice-ufrag, a=ice-pwd, a=fingerprint)
#   ice-candidate  an ICE candidate (foundation component transport priority address port typ ...)
#   peer-address   an IPv4 address with a port that is not loopback/unspecified (a peer's address)
#   turn-username  a TURN REST username (expiry:userId)
#   turn-password  a TURN REST password (base64 of an HMAC-SHA1) or a "credential" value
#   e-mail         an address of a test or demo user (@teste.local, @telemedicina.local)
#   phone          a Brazilian mobile number (+55 ...)
# Extra literal secrets: LOGSCAN_SECRETS, one per line.
# The cluster's own hosts: LOGSCAN_OWN_ADDRESSES, a Perl regular expression for IPv4 addresses (e.g.
# '10\.232\.[0-9]+\.[12]'); their endpoints (silo addresses, listening URLs) are infrastructure, not a
# person's, and are dropped like loopback. Every other address with a port is still a finding.
#
# Every finding is printed as FILE:LINE: KIND: masked value (never the value itself).
# Exit code: 0 clean, 1 findings, 2 usage error or nothing to scan.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/logscan.sh [--allow-empty] PATH...

  PATH           a log file, or a directory whose *.log files (recursively) are scanned
  --allow-empty  exit 0 when there is no log file to scan (default: exit 2)

Environment: LOGSCAN_SECRETS (extra literal secrets, one per line).
EOF
}

ALLOW_EMPTY=0
declare -a PATHS=()
while (( $# > 0 )); do
  case $1 in
    --allow-empty) ALLOW_EMPTY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) printf 'logscan: unknown option %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
    *) PATHS+=("$1"); shift ;;
  esac
done
(( ${#PATHS[@]} > 0 )) || { usage >&2; exit 2; }

# Literal secrets: the demo password (README, seed), the TOTP secret of the demo admin, and the
# passwords tests register or try (tests/Telemedicina.Testing, tests/Telemedicina.ClusterTests).
declare -a SECRETS=(
  'Telemedicina!2026' 'JBSWY3DPEHPK3PXP' 'Senha-de-teste-123' 'Qualquer-coisa-1' 'not-the-password-1A!'
  'Bicicleta-Azul-no-Parque-2026' 'Uma frase bem longa 42' 'Outra frase bem longa 43' 'Senha-longa-demais-1'
  'nao-e-a-senha'
)
if [[ -n ${LOGSCAN_SECRETS:-} ]]; then
  while IFS= read -r secret; do
    [[ -n $secret ]] && SECRETS+=("$secret")
  done <<<"$LOGSCAN_SECRETS"
fi

# ERE for a literal string.
ere_quote() { sed -e 's/[][\.*^$+?(){}|\/]/\\&/g' <<<"$1"; }

secret_re=""
for secret in "${SECRETS[@]}"; do
  secret_re+="${secret_re:+|}$(ere_quote "$secret")"
done

B64U='[A-Za-z0-9_-]'
UUID='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
# Kinds and their patterns (GNU grep -E); a match may include one boundary character on each side.
declare -a KINDS=(password jwt dp-token refresh-token refresh-token cpf cpf sdp sdp ice-candidate ice-candidate peer-address turn-username turn-password turn-password e-mail phone)
declare -a PATTERNS=(
  "$secret_re"
  "eyJ${B64U}{5,}\\.eyJ${B64U}{5,}"
  "CfDJ8${B64U}{30,}"
  "(^|[^A-Za-z0-9_+/=-])${B64U}{43}([^A-Za-z0-9_+/=-]|$)"
  "[Rr]efresh_?[Tt]oken[\"']?[=:] *[\"']?${B64U}{16,}"
  '(^|[^0-9])[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}([^0-9]|$)'
  '(^|[^0-9A-Za-z._:/-])[0-9]{11}([^0-9A-Za-z]|$)'
  'a=(candidate|ice-ufrag|ice-pwd|fingerprint):'
  '(^|[^A-Za-z0-9])v=0(\\r|\\n|$)'
  'candidate:[^ ]+ [0-9]+ (udp|tcp|UDP|TCP) [0-9]+ [^ ]+ [0-9]+ typ'
  ' typ (host|srflx|prflx|relay)([^a-z]|$)'
  '(^|[^0-9.])([0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{2,5}'
  "[0-9]{10}:${UUID}"
  '(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{27}=([^A-Za-z0-9+/=]|$)'
  '"credential" *: *"[^"]{8,}"'
  '[A-Za-z0-9._%+-]+@(teste|telemedicina)\.local'
  '\+55 ?\(?[0-9]{2}\)? ?9 ?[0-9]{4}-?[0-9]{4}'
)

# JSON console logs escape some characters (\u0027, \u002B...): decode them before matching (-X: an
# emoji escaped as a surrogate pair is not worth a warning). Silo logs are full of loopback endpoints
# (127.0.0.1:port, 0.0.0.0:port): dropped here, as they are nobody's personal address, so that the
# scan does not have to classify each of them; so are the LOGSCAN_OWN_ADDRESSES.
decode() {
  if command -v perl >/dev/null 2>&1; then
    perl -CSD -X -pe 'BEGIN { $own = $ENV{LOGSCAN_OWN_ADDRESSES} // ""; $own = qr/$own/ if length $own }
      s/\\u([0-9A-Fa-f]{4})/chr(hex($1))/ge; s/(?<![0-9.])(?:127(?:\.[0-9]{1,3}){3}|0\.0\.0\.0):[0-9]+/[loopback]/g;
      s/(?<![0-9.])(?:$own)(?![0-9])(?=:[0-9])/[own]/g if ref $own'
  else
    cat
  fi
}

# cpf_valid DIGITS : the two check digits of an 11-digit CPF are right (and it is not 000..., 111...).
cpf_valid() {
  local d=$1 i sum r
  [[ $d =~ ^([0-9])\1{10}$ ]] && return 1
  for n in 9 10; do
    sum=0
    for ((i = 0; i < n; i++)); do sum=$(( sum + ${d:i:1} * (n + 1 - i) )); done
    r=$(( sum * 10 % 11 % 10 ))
    (( r == ${d:n:1} )) || return 1
  done
}

# real KIND MATCH : is this match a finding (drops the near-misses a pattern cannot exclude)?
real() {
  local kind=$1 m=$2
  case $kind in
    cpf)
      local digits=${m//[^0-9]/}
      [[ $m == *.*.*-* ]] && return 0
      cpf_valid "$digits"
      ;;
    refresh-token)
      # Random base64url has upper case, lower case and digits; identifiers and words do not.
      [[ $m == *[Tt]oken* ]] && return 0
      [[ $m =~ [A-Z] && $m =~ [a-z] && $m =~ [0-9] ]]
      ;;
    turn-password)
      [[ $m == *credential* ]] && return 0
      [[ $m =~ [A-Z] && $m =~ [a-z] && $m =~ [0-9] ]]
      ;;
    peer-address)
      [[ $m =~ ([0-9]{1,3}\.){3}[0-9]{1,3}: ]] || return 1
      [[ ! ${BASH_REMATCH[0]} =~ ^(127\.|0\.0\.0\.0:|255\.255\.255\.255:) ]]
      ;;
    *) return 0 ;;
  esac
}

# mask VALUE : the first four characters and the length.
mask() {
  local v=$1
  v=${v#[^A-Za-z0-9+\"]}
  printf '%s… (%d chars)' "${v:0:4}" "${#v}"
}

declare -a FILES=()
for path in "${PATHS[@]}"; do
  if [[ -d $path ]]; then
    while IFS= read -r -d '' f; do FILES+=("$f"); done < <(find "$path" -type f -name '*.log' -print0 | sort -z)
  elif [[ -f $path ]]; then
    FILES+=("$path")
  else
    printf 'logscan: %s: no such file or directory\n' "$path" >&2
  fi
done

if (( ${#FILES[@]} == 0 )); then
  if (( ALLOW_EMPTY )); then
    echo "logscan: no log files under ${PATHS[*]}: nothing to scan"
    exit 0
  fi
  echo "logscan: no log files under ${PATHS[*]}" >&2
  exit 2
fi

declare -a GREP_ARGS=()
for p in "${PATTERNS[@]}"; do GREP_ARGS+=(-e "$p"); done

findings=0
lines=0
for f in "${FILES[@]}"; do
  lines=$(( lines + $(wc -l <"$f") ))
  while IFS= read -r hit; do
    line=${hit%%:*}
    match=${hit#*:}
    for i in "${!KINDS[@]}"; do
      if [[ $match =~ ${PATTERNS[$i]} ]] && real "${KINDS[$i]}" "$match"; then
        printf '%s:%s: %s: %s\n' "$f" "$line" "${KINDS[$i]}" "$(mask "$match")"
        findings=$(( findings + 1 ))
        break
      fi
    done
  done < <(decode <"$f" | grep -n -o -E "${GREP_ARGS[@]}" || true)
done

if (( findings > 0 )); then
  echo "logscan: $findings finding(s) of secrets or personal data in ${#FILES[@]} log file(s) ($lines lines)" >&2
  exit 1
fi
echo "logscan: ${#FILES[@]} log file(s), $lines lines: no secret or personal data found"
