#!/bin/sh
# Installs a Debian package when its command is missing and we may install packages.
#   sh scripts/ensure-package.sh COMMAND PACKAGE
# Exits non-zero when the command is still missing; the caller decides what that means.
set -e
command_name="$1"
package="$2"
if command -v "$command_name" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's $package..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  exit 0
fi
exit 1
