#!/usr/bin/env bash
# The storage and flow tests run on PostgreSQL too: install Debian's postgresql when its server is missing.
# The tests start their own server (initdb in a temporary directory, as nobody when run as root); the package's
# own cluster service is stopped. Without root: one line saying how, then those tests are skipped; with CI=true,
# a failure.
set -euo pipefail
have() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || command -v postgres >/dev/null 2>&1; }
if have && command -v runuser >/dev/null 2>&1; then
    exit 0
fi
HINT="PostgreSQL absent : installez-le avec « sudo apt-get install -y --no-install-recommends postgresql » (les tests sur PostgreSQL en ont besoin)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de PostgreSQL pour les tests sur PostgreSQL…"
    apt-get update -qq
    # No service is started by the package in a container (policy-rc.d); elsewhere it is stopped below.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql util-linux >/dev/null
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet postgresql 2>/dev/null; then
        systemctl stop postgresql && systemctl disable postgresql >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        service postgresql stop >/dev/null 2>&1 || true
    fi
    exit 0
fi
echo "$HINT" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
