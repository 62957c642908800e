#!/usr/bin/env bash
# macOS disk image: dist/Pixtral-Desk-<version>-macos-<arch>.dmg
#
#   packaging/macos/make_dmg.sh              build (packaging/build.py), sign if asked, make the dmg
#   packaging/macos/make_dmg.sh --no-build   reuse dist/Pixtral Desk.app
#
# Run on macOS with the project's venv (or PYTHON=...). Build on the oldest macOS you support;
# the bundle's architecture is the Python's (arm64 on Apple Silicon -> Metal build).
# Signing and notarization (optional; see packaging/README.md), from the environment:
#   CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)"   sign the .app and the dmg
#   NOTARY_PROFILE=pixtral-notary    a `xcrun notarytool store-credentials` profile: notarize
#                                    the dmg and staple the ticket
set -euo pipefail
[ "$(uname -s)" = Darwin ] || { echo "make_dmg.sh: run this on macOS" >&2; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.venv/bin/python

if [ "${1:-}" != "--no-build" ]; then "$python" packaging/build.py; fi
app="dist/Pixtral Desk.app"
[ -d "$app" ] || { echo "make_dmg.sh: $app missing" >&2; exit 1; }

version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' app/__init__.py)"
arch="$(uname -m)"
dmg="dist/Pixtral-Desk-$version-macos-$arch.dmg"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  # Inside-out signing with the hardened runtime (required for notarization). PyInstaller has
  # already ad-hoc signed each binary; --force replaces those signatures.
  find "$app/Contents" -type f \( -name '*.dylib' -o -name '*.so' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' f; do
      if file "$f" | grep -q 'Mach-O'; then
        codesign --force --timestamp --options runtime \
          --entitlements packaging/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$f"
      fi
    done
  codesign --force --timestamp --options runtime \
    --entitlements packaging/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"   # drag-to-install
rm -f "$dmg"
hdiutil create -volname "Pixtral Desk $version" -srcfolder "$stage" -fs HFS+ \
  -format UDZO -imagekey zlib-level=9 -ov "$dmg"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
  if [ -n "${NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
  fi
fi
shasum -a 256 "$dmg" > "$dmg.sha256"
echo "$dmg ($(du -h "$dmg" | cut -f1))"
