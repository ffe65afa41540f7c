#!/usr/bin/env bash
# Fetches the two peers cloudjail is measured against, from Debian's archive, without installing them:
#   fail2ban-regex (Python, the reference for what the sshd filter catches per mode)
#   sshg-parser    (C/flex, sshguard's log parser, the speed reference)
# `apt-get download` + `dpkg -x` into a scratch folder outside git (idempotent: reuses what is there).
# Prints shell assignments (eval-able) for the paths, and checks that both tools run.
#
# Usage: bash bench/peers/fetch.sh            # scratch in $PEERS_DIR or /work/scratch/peers
#        eval "$(bash bench/peers/fetch.sh)"  # sets PEERS_DIR FAIL2BAN_REGEX FAIL2BAN_PYTHONPATH FAIL2BAN_CONFIG SSHG_PARSER
set -euo pipefail

PEERS_DIR="${PEERS_DIR:-/work/scratch/peers}"
mkdir -p "$PEERS_DIR/debs"

fetch() { # fetch PACKAGE -> extracts into $PEERS_DIR/PACKAGE
  local package="$1"
  if [ ! -d "$PEERS_DIR/$package" ]; then
    # a fresh machine has no package lists yet: update once, then retry
    (cd "$PEERS_DIR/debs" && { ls "${package}"_*.deb >/dev/null 2>&1 || apt-get download "$package" >&2 ||
      { apt-get update -qq >&2 && apt-get download "$package" >&2; }; }) ||
      { echo "cannot download $package from the Debian archive" >&2; exit 3; }
    dpkg -x "$(ls "$PEERS_DIR"/debs/"${package}"_*.deb | head -1)" "$PEERS_DIR/$package.tmp"
    mv "$PEERS_DIR/$package.tmp" "$PEERS_DIR/$package"
  fi
}

fetch fail2ban
fetch sshguard

FAIL2BAN_REGEX="$PEERS_DIR/fail2ban/usr/bin/fail2ban-regex"
FAIL2BAN_PYTHONPATH="$PEERS_DIR/fail2ban/usr/lib/python3/dist-packages"
FAIL2BAN_CONFIG="$PEERS_DIR/fail2ban/etc/fail2ban"
SSHG_PARSER="$(find "$PEERS_DIR/sshguard" -type f -name sshg-parser | head -1)"

PYTHONPATH="$FAIL2BAN_PYTHONPATH" python3 "$FAIL2BAN_REGEX" --version >/dev/null ||
  { echo "fail2ban-regex does not run (python3: $(command -v python3))" >&2; exit 4; }
[ -x "$SSHG_PARSER" ] && printf '' | "$SSHG_PARSER" >/dev/null ||
  { echo "sshg-parser not found or does not run under $PEERS_DIR/sshguard" >&2; exit 4; }

echo "PEERS_DIR=$PEERS_DIR"
echo "FAIL2BAN_REGEX=$FAIL2BAN_REGEX"
echo "FAIL2BAN_PYTHONPATH=$FAIL2BAN_PYTHONPATH"
echo "FAIL2BAN_CONFIG=$FAIL2BAN_CONFIG"
echo "FAIL2BAN_VERSION='$(PYTHONPATH="$FAIL2BAN_PYTHONPATH" python3 "$FAIL2BAN_REGEX" --version 2>&1 | head -1)'"
echo "SSHG_PARSER=$SSHG_PARSER"
echo "SSHGUARD_VERSION='$(ls "$PEERS_DIR"/debs/sshguard_*.deb | sed 's/.*sshguard_//; s/_.*//')'"
