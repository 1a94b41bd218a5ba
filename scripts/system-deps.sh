#!/usr/bin/env bash
# Installs the Debian packages the workbench needs when they are missing:
#   fonts-noto-cjk     Traditional Chinese glyphs in report plots
#   postgresql         the database-source test starts its own throwaway server
#   chromium           headless browser checks of the exported reports
#   openjdk-17-jre-headless   Java for the Spark engine (engine="spark" and its tests), unless a java is present
set -euo pipefail
need=()
for pkg in fonts-noto-cjk postgresql chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  need+=(openjdk-17-jre-headless)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages: ${need[*]}" >&2
  echo "system-deps: run as root, or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# matplotlib caches the font list: drop it so the new CJK fonts are found.
rm -rf "${HOME:-/root}/.cache/matplotlib"
