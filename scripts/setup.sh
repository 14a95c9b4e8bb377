#!/usr/bin/env bash
# Installs what citylake needs on a fresh Debian/Ubuntu machine: system packages (as root),
# then the project venv from the one lock file. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v java >/dev/null 2>&1 || apt_packages+=(openjdk-17-jre-headless)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
command -v gcc >/dev/null 2>&1 || apt_packages+=(gcc)
dpkg -s libpq-dev >/dev/null 2>&1 || apt_packages+=(libpq-dev)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || apt_packages+=(python3-venv)
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
# the leadership report is tested in headless Chromium; the land registry runs on MariaDB
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v mariadbd >/dev/null 2>&1 || apt_packages+=(mariadb-server)
# camera events go through the project's own Mosquitto; the vision tests use real footage
# (opencv-doc's vtest.avi) served as RTSP by ffmpeg
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || apt_packages+=(mosquitto)
[ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || apt_packages+=(opencv-doc)
command -v ffmpeg >/dev/null 2>&1 || apt_packages+=(ffmpeg)
# a real RTSP server for the stream tests (GStreamer's, driven from the system Python)
dpkg -s gir1.2-gst-rtsp-server-1.0 >/dev/null 2>&1 || apt_packages+=(gir1.2-gst-rtsp-server-1.0)
dpkg -s gstreamer1.0-plugins-good >/dev/null 2>&1 || apt_packages+=(gstreamer1.0-plugins-good)
dpkg -s python3-gi >/dev/null 2>&1 || apt_packages+=(python3-gi)
# the infrastructure owners' registries are PostGIS databases (pgRouting for street routing)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || apt_packages+=(postgresql-15-postgis-3)
dpkg -s postgresql-15-pgrouting >/dev/null 2>&1 || apt_packages+=(postgresql-15-pgrouting)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing system packages: ${apt_packages[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  # the packaged cluster is not ours: citylake starts its own on a private port
  command -v pg_lsclusters >/dev/null 2>&1 && true
fi

stamp=.venv/.citylake-lock-$(sha256sum requirements.lock setup.cfg | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: building .venv from requirements.lock"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  [ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q "uv==0.13.8"
  .venv/bin/uv pip sync -q --python .venv/bin/python --compile-bytecode requirements.lock
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps --config-settings editable_mode=compat -e .
  rm -f .venv/.citylake-lock-*
  touch "$stamp"
fi
echo "setup: ready (.venv)"
