#!/usr/bin/env bash
# Installs the Debian packages the slow tests use, only when missing (idempotent, quiet).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then echo "missing ${need[*]}: install them with apt-get (root needed)"; exit 1; fi
  echo "installing ${need[*]} from Debian..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
