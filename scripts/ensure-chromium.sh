#!/bin/sh
# Installs Debian's chromium for the browser test layer when it is missing and we may install packages.
set -e
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "chromium is not installed and cannot be installed here: browser tests will be skipped." >&2
