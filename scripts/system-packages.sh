#!/usr/bin/env bash
# Install the Debian packages govdesk needs (fonts for PDFs, Chromium for browser tests,
# poppler for PDF checks, gettext for translations, wrk for the throughput benchmark, haproxy
# and redis-server for the cluster check) where we may; otherwise name them.
set -u
PKGS=(fonts-noto-cjk fonts-hanazono chromium poppler-utils zbar-tools gettext wrk haproxy redis-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "govdesk: please install these system packages: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "govdesk: not root and no sudo; please install: sudo apt-get install ${missing[*]}" >&2
    exit 0
  fi
fi
echo "govdesk: installing ${missing[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
  || echo "govdesk: could not install ${missing[*]}; install them by hand" >&2
