#!/usr/bin/env bash
# What `npm run bench` needs from Debian beside Node: nginx, for the proxy_pass row. Installed when missing
# (as root, or with sudo); without it the bench still runs and says the nginx row was skipped.
set -euo pipefail
if command -v nginx >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "bench: nginx is not installed and this user cannot install it; the nginx row will be skipped" >&2
  exit 0
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
