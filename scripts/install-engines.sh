#!/usr/bin/env bash
# Installs the other Node versions the tests run on (22 and 24) from the npm packages `node@22`
# and `node@24`, each into its own folder under .engines/ (ignored by git), so that neither
# shadows the `node` that runs npm. Their binaries: .engines/node22/node_modules/.bin/node and
# .engines/node24/node_modules/.bin/node. Idempotent: a version already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
for spec in 22.23.3 24.21.0; do
  major="${spec%%.*}"
  dir=".engines/node${major}"
  bin="${dir}/node_modules/.bin/node"
  if [ -x "$bin" ] && [ "$("$bin" --version)" = "v${spec}" ]; then continue; fi
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "node@${spec}" >/dev/null
  "$bin" --version
done
