#!/usr/bin/env bash
# The LDAP tests start a real OpenLDAP slapd: install Debian's slapd and ldap-utils when missing.
# As root, installs them (the package's own slapd service is stopped: the tests start their own).
# Without root: one line saying how, then the LDAP tests are skipped; with CI=true, a failure.
set -euo pipefail
have() { command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; }
if have && command -v ldapwhoami >/dev/null 2>&1; then
    exit 0
fi
HINT="slapd absent : installez-le avec « sudo apt-get install -y --no-install-recommends slapd ldap-utils » (les tests LDAP en ont besoin)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de slapd et ldap-utils pour les tests LDAP…"
    apt-get update -qq
    # No service is started by the package in a container (policy-rc.d); elsewhere it is stopped below.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet slapd 2>/dev/null; then
        systemctl stop slapd && systemctl disable slapd >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        service slapd stop >/dev/null 2>&1 || true
    fi
    exit 0
fi
echo "$HINT" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
