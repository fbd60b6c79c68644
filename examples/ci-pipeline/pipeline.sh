#!/usr/bin/env bash
# A release pipeline driven only by the xdsflare CLI: apply the mesh and wait for every proxy,
# roll v2 out in steps, then try v3, which the clients reject, and branch on the exit code.
# Needs XDSFLARE_SERVER and XDSFLARE_TOKEN (npm start prints both) and the CLI on PATH
# (`npm link`, or XDSFLARE_CLI="node dist/xdsflare.mjs").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
read -r -a xdsflare <<< "${XDSFLARE_CLI:-xdsflare}"

echo "== apply the mesh, wait until every proxy has it"
"${xdsflare[@]}" apply -f "$here/mesh.yaml" --wait 60s

echo "== roll out v2 in steps; the control plane advances them, we only wait"
"${xdsflare[@]}" rollout start -f "$here/rollout-v2.yaml" --wait 5m

echo "== roll out v3; its config is rejected by the clients"
set +e
"${xdsflare[@]}" rollout start -f "$here/rollout-v3.yaml" --wait 5m
code=$?
set -e
case $code in
  0) echo "v3 is out" ;;
  4) echo "v3 was rejected and rolled back by the control plane; traffic is on v2 again"
     "${xdsflare[@]}" get rollouts
     # The revision that put traffic back: wait until every proxy has it, then stop the release.
     "${xdsflare[@]}" status head --wait 60s
     exit 4 ;;
  *) echo "rollout failed with exit code $code" >&2; exit "$code" ;;
esac
