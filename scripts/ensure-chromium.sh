#!/usr/bin/env bash
# The demo's tests drive its page in a real browser: install Debian's chromium (and an emoji font) when missing.
# As root, installs them. Without root: one line saying how, then the browser tests are skipped; with CI=true, a failure.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
HINT="chromium absent : installez-le avec « sudo apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji » (les tests de la démonstration en ont besoin)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de chromium pour les tests de la démonstration…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null
    exit 0
fi
echo "$HINT" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
