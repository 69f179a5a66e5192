#!/usr/bin/env bash
# Installs the Debian packages wildside needs, if any is missing. Idempotent: a second run
# installs nothing and takes a second. Runs as root (CI) or through sudo.
set -euo pipefail
pkgs=(
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk libipsec-mb-dev libsodium-dev libhyperscan-dev
  libgtest-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev
  iproute2 iptables python3 python3-scapy
  iputils-ping ethtool tcpdump dpdk-dev nftables
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
