#!/usr/bin/env bash
# Applies every example to a running control plane with curl, exactly as examples/README.md shows,
# and prints the revision each write made. Needs curl (7.76 or later, for --fail-with-body), openssl
# and a POSIX shell; nothing else.
#
#   npm start                      # in another terminal
#   examples/apply-all.sh          # EDGE=http://127.0.0.1:8787 and the token of .dev.vars by default
set -euo pipefail
cd "$(dirname "$0")/.."

EDGE=${EDGE:-http://127.0.0.1:8787}
TOKEN=${TOKEN:-$(grep ^ADMIN_TOKEN= .dev.vars | cut -d= -f2)}

# A failed request stops the script and shows the problem the API answered (RFC 9457, naming the field).
api() { curl --fail-with-body -sS -H "authorization: Bearer $TOKEN" "$@"; }
# The revision of an apply or DELETE answer ({"revision":N,...}) or of a PUT/PATCH answer (resourceVersion).
revision_of() { sed -n -e 's/.*"revision":\([0-9][0-9]*\).*/\1/p' -e 's/.*"resourceVersion":"\([0-9][0-9]*\)".*/\1/p' | head -n 1; }

echo "== bookinfo: services, subsets and traffic policy, the ingress Gateway and the routes (one revision)"
REV=$(cat examples/bookinfo/services.yaml examples/bookinfo/routing.yaml |
  api -X POST "$EDGE/api/v1/apply?prune=true&labelSelector=app.kubernetes.io/part-of=bookinfo" \
    -H 'content-type: application/yaml' --data-binary @- | revision_of)
echo "bookinfo: revision $REV"

echo "== canary: reviews 90/10 between v1 and v2"
REV=$(api -X POST "$EDGE/api/v1/apply" -H 'content-type: application/yaml' \
  --data-binary @examples/canary/reviews.yaml | revision_of)
echo "canary 90/10: revision $REV"

echo "== canary, step 1: 75/25 (a JSON patch that first tests it moves the right destinations)"
REV=$(api -X PATCH "$EDGE/api/v1/namespaces/canary/virtualservices/reviews" \
  -H 'content-type: application/json-patch+json' \
  --data-binary @examples/canary/steps/1-75-25.json-patch.json | revision_of)
echo "canary 75/25: revision $REV"
# A pipeline waits here until every proxy has the step (phase "converged"), or rolls back when one
# rejected it; with no proxy connected the phase is "no-proxies".
PHASE=$(api "$EDGE/api/v1/revisions/$REV/status?wait=5" | sed -n 's/.*"phase":"\([a-z-]*\)".*/\1/p')
echo "canary 75/25: rollout phase $PHASE"

echo "== tcp-database: MySQL and Redis through a data gateway"
REV=$(api -X POST "$EDGE/api/v1/apply" -H 'content-type: application/yaml' \
  --data-binary @examples/tcp-database/databases.yaml | revision_of)
echo "tcp-database: revision $REV"

echo "== https-gateway: a throwaway self-signed certificate for shop.example.com, as a kubernetes.io/tls Secret"
TLS_DIR=$(mktemp -d)
trap 'rm -rf "$TLS_DIR"' EXIT # the private key never outlives the script
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj '/CN=shop.example.com' -addext 'subjectAltName=DNS:shop.example.com' \
  -keyout "$TLS_DIR/tls.key" -out "$TLS_DIR/tls.crt" 2>/dev/null
cat > "$TLS_DIR/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: shop-example-com-tls
  namespace: shop
  labels: {app.kubernetes.io/part-of: shop}
stringData:
  tls.crt: |
$(sed 's/^/    /' "$TLS_DIR/tls.crt")
  tls.key: |
$(sed 's/^/    /' "$TLS_DIR/tls.key")
YAML
REV=$(api -X PUT "$EDGE/api/v1/namespaces/shop/secrets/shop-example-com-tls" \
  -H 'content-type: application/yaml' --data-binary @"$TLS_DIR/secret.yaml" | revision_of)
echo "https-gateway secret: revision $REV"
REV=$(api -X POST "$EDGE/api/v1/apply" -H 'content-type: application/yaml' \
  --data-binary @examples/https-gateway/shop.yaml | revision_of)
echo "https-gateway: revision $REV"

echo "== history (GET /api/v1/revisions: who changed what, when)"
echo "revisions: $(api "$EDGE/api/v1/revisions" | grep -o '"revision":[0-9]*' | cut -d: -f2 | sort -n | uniq | tr '\n' ' ')"
