# Sourced by fetch-llama.sh and build-llama-native.sh: npm_tarball WORK PACKAGE VERSION SHA256 fetches one tarball from
# the npm registry into WORK and prints its path, or fails when its SHA-256 is not the pinned one.
npm_tarball() {
  local work="$1" package="$2" version="$3" expected="$4" tarball actual
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tarball="$(ls "$work"/*.tgz)"
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ "$actual" != "$expected" ]]; then
    echo "$(basename "$0"): SHA-256 mismatch for $package@$version: expected $expected, got $actual" >&2
    return 1
  fi
  echo "$tarball"
}
