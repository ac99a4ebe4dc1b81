#!/usr/bin/env bash
# What `npm test` needs beyond npm (its `pretest` step): Debian's chromium, redis-server and nginx (the fleet
# test's load balancer), and python3 for the reference relay. Installs what is missing when it can (root,
# with apt-get); otherwise says in one line what to install and stops, so a fresh machine never gets half a
# test run.
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null && exit 0
  echo "npm test: apt-get could not install ${missing[*]}; install them and run npm test again" >&2
  exit 1
fi
echo "npm test needs ${missing[*]}: install them first (Debian: sudo apt-get install ${missing[*]})" >&2
exit 1
