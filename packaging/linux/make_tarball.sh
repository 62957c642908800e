#!/usr/bin/env bash
# Release tarball for Linux: dist/pixtral-desk-<version>-linux-<arch>.tar.gz
#
#   packaging/linux/make_tarball.sh            build the bundle first (packaging/build.py)
#   packaging/linux/make_tarball.sh --no-build reuse dist/pixtral-desk/
#
# Layout inside (one top folder):  pixtral-desk-<version>/
#   pixtral-desk/            the PyInstaller one-folder bundle (runs in place: ./pixtral-desk/pixtral-desk)
#   install.sh               per-user install / --uninstall
#   pixtral-desk.desktop     menu entry template
#   icons/hicolor/...        PNG icons
#   README.md                packaging/README.md
# Build on the oldest glibc you support (the bundle needs the build machine's glibc or newer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-python}"
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.venv/bin/python

if [ "${1:-}" != "--no-build" ]; then "$python" packaging/build.py; fi
[ -x dist/pixtral-desk/pixtral-desk ] || { echo "make_tarball.sh: dist/pixtral-desk/pixtral-desk missing" >&2; exit 1; }

version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' app/__init__.py)"
arch="$(uname -m)"
variant="${VARIANT:-}"   # e.g. VARIANT=cuda for the CUDA build: ...-linux-x86_64-cuda.tar.gz
name="pixtral-desk-$version"
out="dist/$name-linux-$arch${variant:+-$variant}.tar.gz"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/$name"
cp -a dist/pixtral-desk "$stage/$name/pixtral-desk"
cp packaging/linux/install.sh packaging/linux/pixtral-desk.desktop "$stage/$name/"
mkdir -p "$stage/$name/icons"
cp -a packaging/linux/icons/hicolor "$stage/$name/icons/"
cp packaging/README.md "$stage/$name/README.md"
chmod 755 "$stage/$name/install.sh" "$stage/$name/pixtral-desk/pixtral-desk"

tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out" "$name"
(cd dist && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
echo "$out ($(du -h "$out" | cut -f1))"
