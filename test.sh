#!/usr/bin/env bash
# Runs every test of every module (unit, loopback integration, architecture rules).
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B verify "$@"
