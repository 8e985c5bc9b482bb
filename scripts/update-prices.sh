#!/usr/bin/env bash
# Regenerates src/Tally.Core/Pricing/catalog.json, the price catalog embedded in Tally.Core, from
# the price data bundled in the @pydantic/genai-prices npm package. Needs node and npm; the build
# and the tests need neither (they read the committed file). See src/Tally.Core/Pricing/README.md.
#
# usage: scripts/update-prices.sh [version]
#   version   the package version to use (default: the latest published one)
#   TALLY_PRICES_DATE=YYYY-MM-DD overrides the generation date (default: today, UTC); the prices
#   in force on that date are the ones kept.
set -euo pipefail

package=@pydantic/genai-prices
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/src/Tally.Core/Pricing/catalog.json"
version="${1:-$(npm view "$package" version)}"
date="${TALLY_PRICES_DATE:-$(date -u +%F)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# npm pack fetches the published tarball without installing anything or running its scripts.
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"

node "$root/scripts/genai-prices-to-catalog.mjs" "$work/package" "$out" "$date"

echo "wrote $out; review the diff, then run: dotnet test tests/Tally.Core.Tests" >&2
