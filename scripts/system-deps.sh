#!/usr/bin/env bash
# Debian packages the tests need that pip cannot provide. Idempotent: installs only what is
# missing, quietly; a machine that already has everything does nothing.
set -euo pipefail

# chromium: the real headless browser of the console tests (Playwright drives it; no browser download);
# fonts-dejavu-core: so pages and screenshots render text on a minimal machine.
# postgresql, redis-server: the scale-out and database-fault tests run real servers on 127.0.0.1.
PACKAGES=(chromium fonts-dejavu-core postgresql redis-server)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
