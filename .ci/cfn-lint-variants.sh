#!/usr/bin/env bash
# Synthesizes every variant of the stack the issue tracker asked CI to keep valid and runs cfn-lint on each template:
# default (VPC ids), NACL ids, WAF overflow (regional and CloudFront), Network Firewall overflow with scope subnet and
# aggregation. Fails on any cfn-lint error (exit bit 2); warnings and informational findings are printed only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint is not installed: CI lints every synthesized template with it. Install cfn-lint 1.x" \
    "(pip install cfn-lint; this machine image ships 1.51) and run again." >&2
  exit 1
fi
echo "== $(cfn-lint --version)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '[sshd]\nenabled = true\n\n[cloudjail]\noverflow = waf\n' >"$work/waf.local"
printf '[sshd]\nenabled = true\n\n[cloudjail]\noverflow = waf-cloudfront\n' >"$work/waf-cloudfront.local"
printf '[sshd]\nenabled = true\n\n[cloudjail]\nscope = subnet\naggregate = true\noverflow = network-firewall\n' \
  >"$work/network-firewall.local"

export AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true
variants=(
  "default|-c cloudjail:vpcIds=vpc-00000000000000000"
  "nacl-ids|-c cloudjail:naclIds=acl-00000000000000000"
  "waf|-c cloudjail:vpcIds=vpc-00000000000000000 -c cloudjail:config=$work/waf.local"
  "waf-cloudfront|-c cloudjail:vpcIds=vpc-00000000000000000 -c cloudjail:config=$work/waf-cloudfront.local"
  "network-firewall-subnet-aggregate|-c cloudjail:vpcIds=vpc-00000000000000000 -c cloudjail:config=$work/network-firewall.local"
)
failed=0
for variant in "${variants[@]}"; do
  name="${variant%%|*}"
  read -r -a context <<<"${variant#*|}"
  out="$work/$name"
  npx --no-install cdk synth --quiet --no-notices -o "$out" "${context[@]}" >/dev/null
  template="$(ls "$out"/*.template.json | head -n 1)"
  status=0
  cfn-lint "$template" || status=$?
  if ((status & 2)); then
    echo "FAIL  cfn-lint: $name has errors" >&2
    failed=1
  else
    echo "ok    cfn-lint: $name ($(basename "$template"))"
  fi
done
exit "$failed"
