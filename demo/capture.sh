#!/usr/bin/env bash
# Captures demo/secure: the real sshd log `npm start` (cloudjail demo) replays by default. It runs for about
# 63 minutes because the story needs the repo's bantime (1 h) to pass: attackers are banned, their bans end, one
# of them comes back and is banned again.
#
# Everything runs inside a private mount + network namespace (unshare), so nothing on the host changes: a
# private /dev with its own /dev/log (rsyslog, RHEL-style traditional format), an sshd on 10.0.1.23:22 and
# [2001:db8::1]:22, and clients bound to documentation addresses (RFC 5737 / RFC 3849) plus 103.1.2.3, which
# demo/jail.local (the demo's configuration) lists in ignoreip. The user `deploy` is created for the run and
# removed after it.
#
# Run as root on Debian 12 from anywhere:  bash demo/capture.sh
# Needs: apt-get install openssh-server sshpass rsyslog iproute2; node_modules (ssh2, tsx).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="${DEMO_CAPTURE_SCRATCH:-/work/scratch/demo-capture}"
OUT="${DEMO_CAPTURE_OUT:-$REPO/demo/secure}"
SERVER4=10.0.1.23
SERVER6=2001:db8::1
DEPLOY_PASSWORD='deploy-Correct-7-horse'
# Seconds per scenario minute: 60 for the real capture; a smaller value gives a quick trial run of the script.
MINUTE_SECONDS="${DEMO_CAPTURE_MINUTE_SECONDS:-60}"

if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" = 0 ] || { echo "capture.sh must run as root" >&2; exit 2; }
  for tool in sshd rsyslogd sshpass ssh ssh-keygen ip unshare; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
  done
  rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/logs" "$SCRATCH/hostdev" /run/sshd
  chmod 755 "$SCRATCH"
  exec unshare --mount --net --propagation private bash "$0" --inside
fi

# ---- inside the namespaces ---------------------------------------------------------------------------------
private_dev() { # a tmpfs /dev with the usual nodes bound from the host's, and our own /dev/log
  mount --rbind /dev "$SCRATCH/hostdev"
  mount -t tmpfs -o mode=755 tmpfs /dev
  for node in null zero full random urandom tty; do
    touch "/dev/$node"
    mount --bind "$SCRATCH/hostdev/$node" "/dev/$node"
  done
  mkdir /dev/pts /dev/shm
  mount --bind "$SCRATCH/hostdev/pts" /dev/pts
  ln -s pts/ptmx /dev/ptmx
  ln -s /proc/self/fd /dev/fd
  ln -s "$SCRATCH/devlog" /dev/log
}

private_network() {
  ip link set lo up
  ip addr add "$SERVER4/32" dev lo
  ip -6 addr add "$SERVER6/128" dev lo nodad
  for address in 203.0.113.10 198.51.100.23 198.51.100.51 198.51.100.80 203.0.113.99 203.0.113.200 \
    192.0.2.44 103.1.2.3; do
    ip addr add "$address/32" dev lo
  done
  ip -6 addr add 2001:db8:4::77/128 dev lo nodad
}

start_rsyslog() {
  cat >"$SCRATCH/rsyslog.conf" <<EOF
global(workDirectory="$SCRATCH" localHostname="ip-10-0-1-23")
module(load="imuxsock" SysSock.Name="$SCRATCH/devlog" SysSock.RateLimit.Interval="0")
auth,authpriv.* action(type="omfile" file="$SCRATCH/logs/secure" template="RSYSLOG_TraditionalFileFormat")
EOF
  rsyslogd -f "$SCRATCH/rsyslog.conf" -i "$SCRATCH/rsyslog.pid"
  for _ in $(seq 50); do [ -S "$SCRATCH/devlog" ] && break; sleep 0.1; done
}

start_sshd() {
  ssh-keygen -q -t ed25519 -N '' -C demo-host -f "$SCRATCH/host_ed25519"
  cat >"$SCRATCH/sshd_config" <<EOF
Port 22
ListenAddress $SERVER4
ListenAddress $SERVER6
HostKey $SCRATCH/host_ed25519
PidFile $SCRATCH/sshd.pid
UsePAM yes
MaxAuthTries 3
LoginGraceTime 60
MaxStartups 100
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin yes
SyslogFacility AUTHPRIV
LogLevel INFO
EOF
  /usr/sbin/sshd -t -f "$SCRATCH/sshd_config"
  /usr/sbin/sshd -f "$SCRATCH/sshd_config"
  for _ in $(seq 50); do [ -f "$SCRATCH/sshd.pid" ] && break; sleep 0.1; done
}

stop_everything() {
  for file in "$SCRATCH/sshd.pid" "$SCRATCH/rsyslog.pid"; do
    if [ -f "$file" ]; then kill "$(cat "$file")" 2>/dev/null || true; rm -f "$file"; fi
    sleep 0.5
  done
  id deploy >/dev/null 2>&1 && userdel -r deploy 2>/dev/null || true
}

SSH_COMMON=(-F /dev/null -p 22 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=QUIET
  -o ConnectTimeout=10 -o IdentitiesOnly=yes -o IdentityFile=/dev/null -o PubkeyAuthentication=no
  -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1)

server_for() { case "$1" in *:*) echo "$SERVER6" ;; *) echo "$SERVER4" ;; esac; }

password() { # password FROM USER PASSWORD: one password in one connection
  sshpass -p "$3" ssh "${SSH_COMMON[@]}" -b "$1" -l "$2" "$(server_for "$1")" true </dev/null >/dev/null 2>&1 || true
}

wrong() { # wrong FROM USER [TIMES]: wrong passwords, one connection each
  for _ in $(seq "${3:-1}"); do password "$1" "$2" "WRONG-$RANDOM"; done
}

several() { # several FROM USER TRIES: TRIES passwords in ONE connection (sshd's MaxAuthTries is 3)
  (cd "$REPO" && node --import tsx test/fixtures/capture/ssh2-attempts.ts --from "$1" --host "$(server_for "$1")" \
    --port 22 --user "$2" --tries "$3" --method password >/dev/null 2>&1) || true
}

banner_junk() { # a scanner speaking HTTP to port 22
  printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "$SERVER4" | nc -w 3 -s "$1" "$SERVER4" 22 >/dev/null 2>&1 || true
}

at_minute() { # at_minute M: waits until M minutes after the start
  local target
  target=$(awk -v m="$1" -v s="$MINUTE_SECONDS" 'BEGIN { printf "%d", m * s }')
  while [ "$SECONDS" -lt "$target" ]; do sleep 1; done
  echo "== minute $1" >&2
}

trap stop_everything EXIT
private_dev
private_network
id deploy >/dev/null 2>&1 || useradd -m -s /bin/sh deploy
echo "deploy:$DEPLOY_PASSWORD" | chpasswd
start_rsyslog
start_sshd
SECONDS=0

at_minute 0
password 192.0.2.44 deploy "$DEPLOY_PASSWORD"          # the admin logs in
wrong 203.0.113.10 root 4                              # password guessing on root: banned at the third
for user in admin oracle test ubuntu postgres; do wrong 198.51.100.23 "$user"; done  # user-name sweep: banned
wrong 2001:db8:4::77 deploy 3                          # IPv6 guessing: banned
banner_junk 203.0.113.200                              # scanner noise: not a failed login
wrong 103.1.2.3 root 5                                 # in ignoreip: never banned
several 198.51.100.80 root 5                           # five passwords in one connection: banned
wrong 198.51.100.51 deploy 2                           # slow guesser: two now...
wrong 192.0.2.44 deploy 1                              # the admin mistypes once...
password 192.0.2.44 deploy "$DEPLOY_PASSWORD"          # ...and gets in: never banned

at_minute 7.5
wrong 198.51.100.51 deploy 2                           # ...two more after findtime (5 min): never banned

at_minute 20
wrong 203.0.113.99 admin 3                             # a new attacker: banned until minute 80

at_minute 62
wrong 203.0.113.10 root 3                              # the first attacker returns after its ban ended
password 192.0.2.44 deploy "$DEPLOY_PASSWORD"

sleep 2
stop_everything
trap - EXIT
cp "$SCRATCH/logs/secure" "$OUT"
echo "demo log written to $OUT ($(wc -l <"$OUT") lines)" >&2
