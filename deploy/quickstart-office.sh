# shellcheck shell=bash disable=SC2154 # the variables named below come from deploy/quickstart.sh
# The quick start's one-stop office, wired to its node as a member system of the bus. Sourced by
# deploy/quickstart.sh once the node is ready; uses $lgsp, $root, $data_dir, $listen, $onestop_listen, $pki and
# sets $onestop_pid and $office_client. Every step is idempotent: a second run keeps the registry entries, the
# API key and the accounts of the first.
#
# The story is the sample catalogue's (onestop/samples/procedures.json): the office is UBND phường Bến Thành
# (000.00.13.H29); its inter-agency procedure hands steps to Công an phường Bến Thành (000.00.21.H29) and
# Bảo hiểm xã hội Quận 1 (000.00.31.H29). Those two agencies' offices are not started here: their submission
# services point where `lgsp onestop serve` for them would listen (the office's port + 1 and + 2), and the node
# keeps retrying their deliveries until such an office answers.

quickstart_agency=000.00.13.H29
quickstart_agency_name="UBND phường Bến Thành"

# The registry of the node's store (the running node sees each change at once).
quickstart_registry() { "$lgsp" "$@" --data-dir "$data_dir"; }

# Adds a service unless it is there; warns when it is there with another endpoint.
quickstart_service() { # ID CONTRACT ENDPOINT
  local line
  line=$(quickstart_registry service list | awk -F'\t' -v id="$1" '$1 == id')
  if [ -z "$line" ]; then
    quickstart_registry service add "$1" --contract "$2" --endpoint "$3" --max-attempts 100 >/dev/null
  elif [ "$(cut -f3 <<<"$line")" != "$3" ]; then
    echo "quickstart: warning: service $1 delivers to $(cut -f3 <<<"$line"), not $3 (registered by an earlier run)" >&2
  fi
}

quickstart_grant() { # CLIENT SERVICE
  quickstart_registry acl list | awk -F'\t' -v c="$1" -v s="$2" '$1 == c && $2 == s {f = 1} END {exit !f}' ||
    quickstart_registry acl grant "$1" "$2" >/dev/null
}

wire_office() {
  local od="$data_dir/onestop" host port code name kind contract members subsystems
  mkdir -p "$od"
  host=${onestop_listen%:*}
  port=${onestop_listen##*:}
  office_client="$quickstart_agency/MOTCUA"

  # Members and their one-stop subsystems.
  members=$(quickstart_registry member list)
  subsystems=$(quickstart_registry subsystem list)
  while IFS='|' read -r code name; do
    awk -F'\t' -v c="$code" '$1 == c {f = 1} END {exit !f}' <<<"$members" ||
      quickstart_registry member add "$code" --name "$name" >/dev/null
    awk -v c="$code/MOTCUA" '$1 == c {f = 1} END {exit !f}' <<<"$subsystems" ||
      quickstart_registry subsystem add "$code/MOTCUA" >/dev/null
  done <<AGENCIES
$quickstart_agency|$quickstart_agency_name
000.00.21.H29|Công an phường Bến Thành
000.00.31.H29|Bảo hiểm xã hội Quận 1
AGENCIES

  # The office's own inbox on the bus: the node delivers to its /onestop/v1/bus/<kind>.
  for kind in submission:onestop.dossier-submission@v1 status:onestop.dossier-status@v1 \
    result:onestop.result-notice@v1; do
    contract=${kind#*:}
    kind=${kind%%:*}
    quickstart_service "$office_client/onestop.$kind/v1" "$contract" "http://$onestop_listen/onestop/v1/bus/$kind"
  done
  # The other agencies' submission inboxes, and who may call whom.
  local offset=1
  for code in 000.00.21.H29 000.00.31.H29; do
    quickstart_service "$code/MOTCUA/onestop.submission/v1" onestop.dossier-submission@v1 \
      "http://$host:$((port + offset))/onestop/v1/bus/submission"
    offset=$((offset + 1))
    quickstart_grant "$office_client" "$code/MOTCUA/onestop.submission/v1"
    quickstart_grant "$code/MOTCUA" "$office_client/onestop.status/v1"
    quickstart_grant "$code/MOTCUA" "$office_client/onestop.result/v1"
  done

  # The office's API key, made once (only its hash is in the node's store) and kept in a file only we read.
  if [ ! -s "$od/bus.key" ] ||
    ! quickstart_registry apikey list | awk -F'\t' -v s="$office_client" '$2 == s && $4 == "active" {f = 1} END {exit !f}'; then
    (umask 077 && quickstart_registry apikey create "$office_client" >"$od/bus.key.new" && mv "$od/bus.key.new" "$od/bus.key")
  fi

  # Its config: the bus link (the node's seals are pinned to the node's own certificate), signatures carrying the
  # issuing CA. public_url is left out: it follows --listen.
  cat >"$od/onestop.toml" <<TOML
# Written by deploy/quickstart.sh on each start (edit the script, or run the office yourself with your own file).
[agency]
code = "$quickstart_agency"
name = "$quickstart_agency_name"

[bus]
url = "http://$listen"
client = "$office_client"
api_key_file = "bus.key"
trust_roots = "$pki/root-ca.pem"
node_certificates = "$pki/lgsp-node.pem"
retry_seconds = 2

[signing]
ca_chain = "$pki/issuing-ca.pem"
# Officials' signatures on results (through lgsp agent) chain to hsm-sim's root; revocation by OCSP (its AIA).
trust_roots = "$pki/root-ca.pem"

[web]
# The quick start's officials may sign in to the pages with the passwords in passwords.txt; a real office has
# its officials sign in with their own token through lgsp agent (docs/web.md) and leaves this off.
official_password_sign_in = true
TOML

  local office=("$lgsp" onestop)
  local opts=(--config "$od/onestop.toml" --data-dir "$od")
  "${office[@]}" procedure import "$root/onestop/samples/procedures.json" "${opts[@]}" >/dev/null
  # On the first run one account per role; their tokens are written once to tokens.txt (mode 600).
  if [ ! -s "$od/tokens.txt" ]; then
    (
      umask 077
      for r in receiving:lan:"Trần Thị Lan" processing:hung:"Lê Văn Hùng" leader:minh:"Đỗ Quang Minh" admin:admin:"Quản trị"; do
        IFS=: read -r role user name <<<"$r"
        echo "$role $user $("${office[@]}" user add "$user" --role "$role" --name "$name" "${opts[@]}")"
      done >"$od/tokens.txt.new"
      # The leader signs results on hsm-sim's official-01 token (its certificate carries UID=CCCD:079090000001).
      "${office[@]}" user bind minh --cccd 079090000001 "${opts[@]}" >/dev/null
      mv "$od/tokens.txt.new" "$od/tokens.txt"
    )
  fi
  # And a password each for the web pages (/can-bo/dang-nhap), written once to passwords.txt (mode 600).
  if [ ! -s "$od/passwords.txt" ]; then
    (
      umask 077
      for user in lan hung minh admin; do
        password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
        printf '%s\n' "$password" | "${office[@]}" user password "$user" "${opts[@]}" >/dev/null
        echo "$user $password"
      done >"$od/passwords.txt.new"
      mv "$od/passwords.txt.new" "$od/passwords.txt"
    )
  fi

  "${office[@]}" serve "${opts[@]}" --listen "$onestop_listen" >>"$od/serve.log" 2>&1 &
  onestop_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://$onestop_listen/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$onestop_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "quickstart: the one-stop office did not start; see $od/serve.log" >&2
  tail -n 20 "$od/serve.log" >&2
  return 1
}
