#!/usr/bin/env bash
# Downloads the upstream CRDs listed in .github/upstream-crds.txt into DIR
# (the public workflow's ../shared/crds), each from its repository at its tag.
set -euo pipefail
dir=${1:?usage: fetch-crds.sh DIR}
mkdir -p "$dir"
grep -v '^#' "$(dirname "$0")/upstream-crds.txt" | while read -r file repo tag path; do
  curl -fsSL --retry 3 "https://raw.githubusercontent.com/$repo/$tag/$path" -o "$dir/$file"
done
echo "fetched $(ls "$dir" | wc -l) CRDs into $dir"
