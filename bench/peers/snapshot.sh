#!/usr/bin/env bash
# Exports a commit (default HEAD) of this repository into a scratch folder, so that measurements run committed
# code while other engineers edit the shared working tree. node_modules is a symlink to the checkout's.
# Prints the path of the snapshot's CLI:   CLOUDJAIL_BIN="$(bash bench/peers/snapshot.sh)" npx tsx bench/agreement.ts
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
COMMIT="${1:-HEAD}"
DEST="${SNAPSHOT_DIR:-/work/scratch/cloudjail-snapshot}"
rm -rf "$DEST" && mkdir -p "$DEST"
git -C "$REPO" archive "$COMMIT" | tar -x -C "$DEST"
ln -s "$REPO/node_modules" "$DEST/node_modules"
echo "$(git -C "$REPO" rev-parse --short "$COMMIT")" >"$DEST/.commit"
echo "$DEST/bin/cloudjail.js"
