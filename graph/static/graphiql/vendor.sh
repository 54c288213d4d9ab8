#!/usr/bin/env bash
# Re-fetch the GraphiQL page's third-party files, at exactly the versions below, from the npm
# registry. The files are committed and served as they are; nothing here runs at serve time.
#
#   graph/static/graphiql/vendor.sh           # refresh the files, then check them
#   graph/static/graphiql/vendor.sh --check   # only check the files against SHA256SUMS
#
# After changing a version: run it, review the diff, `sha256sum -c` fails until SHA256SUMS is
# regenerated with `sha256sum $(cut -c67- SHA256SUMS) > SHA256SUMS` (and README.md updated).
set -euo pipefail

GRAPHIQL=graphiql@3.8.3
REACT=react@18.2.0
REACT_DOM=react-dom@18.2.0
GRAPHQL_WS=graphql-ws@6.4.2

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if [[ "${1:-}" != "--check" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # fetch PACKAGE FILE-IN-PACKAGE TARGET
  fetch() {
    local dir="$work/${1%@*}"
    if [[ ! -d "$dir/package" ]]; then
      mkdir -p "$dir"
      (cd "$dir" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz)
    fi
    cp "$dir/package/$2" "$here/$3"
  }
  fetch "$GRAPHIQL" graphiql.min.js graphiql.min.js
  fetch "$GRAPHIQL" graphiql.min.css graphiql.min.css
  fetch "$GRAPHIQL" LICENSE licenses/graphiql.LICENSE
  fetch "$REACT" umd/react.production.min.js react.production.min.js
  fetch "$REACT" LICENSE licenses/react.LICENSE
  fetch "$REACT_DOM" umd/react-dom.production.min.js react-dom.production.min.js
  fetch "$REACT_DOM" LICENSE licenses/react-dom.LICENSE
  fetch "$GRAPHQL_WS" umd/graphql-ws.min.js graphql-ws.min.js
  fetch "$GRAPHQL_WS" LICENSE.md licenses/graphql-ws.LICENSE
fi
sha256sum --check --quiet SHA256SUMS && echo "vendored files match SHA256SUMS"
