#!/usr/bin/env bash
# The service's tests read the unit with systemd-analyze and run the bot under its system call filter
# (libseccomp's Python binding): install Debian's systemd and python3-seccomp when missing.
# As root, installs them (nothing is started: systemd is not booted here). Without root: one line saying
# how, then those tests are skipped; with CI=true, a failure.
set -euo pipefail
have() { command -v systemd-analyze >/dev/null 2>&1 && ls /usr/lib/python3/dist-packages/seccomp*.so >/dev/null 2>&1; }
if have; then
    exit 0
fi
HINT="systemd-analyze ou python3-seccomp absent : « sudo apt-get install -y --no-install-recommends systemd python3-seccomp » (les tests du service en ont besoin)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de systemd et python3-seccomp pour les tests du service…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd python3-seccomp >/dev/null
    exit 0
fi
echo "$HINT" >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
