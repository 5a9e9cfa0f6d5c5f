#!/bin/sh
# Creates the BigCommerce webhooks (POST /stores/{store_hash}/v3/hooks, one per scope; see
# shared/specs/bigcommerce/webhooks.v3.yml) pointing at the stack's HTTP routes, each with the
# shared-secret header the handler checks (BIGCOMMERCE_WEBHOOK_SECRET).
#
#   BIGCOMMERCE_STORE_HASH=nw4x7k2q BIGCOMMERCE_ACCESS_TOKEN=... \
#   BIGCOMMERCE_WEBHOOK_SECRET=... WEBHOOK_BASE_URL=https://API_ID.execute-api.REGION.amazonaws.com \
#   sh deploy/bigcommerce/create-hooks.sh
#
# BigCommerce does not sign bodies: the custom header is the proof of origin, so the secret must be
# long and random (openssl rand -hex 32), and the same value goes into the stack's secret.
set -eu
: "${BIGCOMMERCE_STORE_HASH:?}" "${BIGCOMMERCE_ACCESS_TOKEN:?}" "${BIGCOMMERCE_WEBHOOK_SECRET:?}" "${WEBHOOK_BASE_URL:?}"

create() {
    scope=$1
    path=$2
    curl --fail-with-body -sS -X POST \
        "https://api.bigcommerce.com/stores/${BIGCOMMERCE_STORE_HASH}/v3/hooks" \
        -H "X-Auth-Token: ${BIGCOMMERCE_ACCESS_TOKEN}" \
        -H "Accept: application/json" -H "Content-Type: application/json" \
        --data "{\"scope\": \"${scope}\", \"destination\": \"${WEBHOOK_BASE_URL}${path}\", \"is_active\": true,
                 \"headers\": {\"X-Tidings-Webhook-Secret\": \"${BIGCOMMERCE_WEBHOOK_SECRET}\"}}"
    echo
}

create store/cart/abandoned /webhooks/bigcommerce/cart-abandoned
# The order flows read Shopify payloads in this release; add their BigCommerce routes to the
# template (as BigCommerceCartRoute) when they accept store/order/created and statusUpdated.
