#!/usr/bin/env bash
# From a fresh Debian 12 checkout to a first result: dependencies, build, the quickstart
# experiment (results in results/local/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/lockstep run configs/quickstart.yaml "$@"
