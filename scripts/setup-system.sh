#!/usr/bin/env bash
# System tools the tests need that neither PyPI nor npm provide: Debian's docker-compose validates
# docker-compose.yml without a Docker engine. Installed only when missing; skipped with a notice
# where apt-get is unavailable (the compose test then reports itself skipped, not passed).
set -euo pipefail
missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "setup-system: installing ${missing[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
else
  echo "setup-system: cannot install ${missing[*]} (needs apt-get as root); tests needing them are skipped"
fi
