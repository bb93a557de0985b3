#!/usr/bin/env bash
# Vendors the front-end packages pinned in package.json into ../wwwroot/lib/<package>@<version>/.
# Only the distributable files are copied (no CDN at run time, no node at build time).
# Run after changing a version in package.json; then update the paths in Components/App.razor.
set -euo pipefail
cd "$(dirname "$0")"
lib=../wwwroot/lib

npm install --no-audit --no-fund --ignore-scripts --no-package-lock --omit=peer >/dev/null

version() { node -p "require('./node_modules/$1/package.json').version"; }

vendor() { # package, then files or folders relative to the package root
  local pkg=$1; shift
  local dest="$lib/$pkg@$(version "$pkg")"
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in "$@"; do
    mkdir -p "$dest/$(dirname "$f")"
    cp -R "node_modules/$pkg/$f" "$dest/$f"
  done
  cp "node_modules/$pkg/LICENSE"* "$dest/" 2>/dev/null || true
  echo "vendored $dest"
}

# Remove folders of versions no longer pinned.
rm -rf "$lib"
mkdir -p "$lib"
vendor bootstrap dist/css/bootstrap.min.css dist/js/bootstrap.bundle.min.js
vendor bootstrap-icons font/bootstrap-icons.min.css font/fonts
vendor htmx.org dist/htmx.min.js
vendor htmx-ext-sse dist/sse.min.js
rm -rf node_modules
