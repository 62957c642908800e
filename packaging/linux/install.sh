#!/usr/bin/env bash
# Per-user install of the Pixtral Desk bundle (no root needed):
#
#   ./install.sh               copy the bundle to ~/.local/share/pixtral-desk/app, add the menu
#                              entry, the icons and the `pixtral-desk` launcher in ~/.local/bin
#   ./install.sh --uninstall   remove exactly those; history, models, settings and logs stay
#
# Run from the unpacked release tarball (this script next to pixtral-desk/) or from a checkout
# after `python packaging/build.py` (it then takes dist/pixtral-desk/). Honours XDG_DATA_HOME.
# User data lives elsewhere (platformdirs: history in ~/.local/share/pixtral-desk/, settings
# in ~/.config/pixtral-desk/, logs in ~/.local/state/pixtral-desk/; downloaded models in the
# Hugging Face cache, ~/.cache/huggingface/hub) and is never read, moved or deleted here; see
# packaging/README.md to remove it.
set -euo pipefail

APP_ID=pixtral-desk
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
bin_dir="$HOME/.local/bin"
app_dir="$data_home/$APP_ID/app"          # the bundle only; a sibling of the user's data
apps_dir="$data_home/applications"
icons_dir="$data_home/icons/hicolor"
launcher="$bin_dir/$APP_ID"
desktop="$apps_dir/$APP_ID.desktop"
marker="$app_dir/.installed-by-pixtral-desk"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

refresh_caches() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps_dir" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons_dir" 2>/dev/null || true
}

find_source() {
  local c
  for c in "$here/pixtral-desk" "$here/../pixtral-desk" "$here/../../dist/pixtral-desk"; do
    if [ -x "$c/pixtral-desk" ]; then (cd "$c" && pwd); return 0; fi
  done
  return 1
}

find_icons() {
  local c
  for c in "$here/icons/hicolor" "$here/../icons/hicolor"; do
    if [ -d "$c" ]; then (cd "$c" && pwd); return 0; fi
  done
  return 1
}

uninstall() {
  # Only what install() created; never $data_home/$APP_ID itself (the history lives there).
  if [ -d "$app_dir" ]; then
    if [ -f "$marker" ]; then rm -rf -- "$app_dir"; else
      echo "install.sh: $app_dir was not created by this script; left in place" >&2
    fi
  fi
  if [ -L "$launcher" ] || { [ -f "$launcher" ] && grep -q "installed by pixtral-desk" "$launcher"; }; then
    rm -f -- "$launcher"
  fi
  rm -f -- "$desktop"
  local size
  for size in 16 22 24 32 48 64 128 256 512; do
    rm -f -- "$icons_dir/${size}x${size}/apps/$APP_ID.png"
  done
  rm -f -- "$icons_dir/scalable/apps/$APP_ID.svg"
  refresh_caches
  echo "Pixtral Desk removed. Your conversations, models and settings were kept."
}

install() {
  local src icons
  src="$(find_source)" || { echo "install.sh: no bundle found (pixtral-desk/pixtral-desk next to this script, or dist/pixtral-desk)" >&2; exit 1; }
  icons="$(find_icons)" || { echo "install.sh: icons/hicolor not found next to this script" >&2; exit 1; }

  mkdir -p "$app_dir" "$apps_dir" "$bin_dir"
  # Replace the previous bundle only (its own folder), then copy the new one.
  if [ -f "$marker" ]; then rm -rf -- "$app_dir"; mkdir -p "$app_dir"; fi
  cp -a "$src/." "$app_dir/"
  : > "$marker"

  cat > "$launcher" <<LAUNCH
#!/bin/sh
# installed by pixtral-desk install.sh
exec "$app_dir/pixtral-desk" "\$@"
LAUNCH
  chmod 755 "$launcher"

  local dir size
  for dir in "$icons"/*x*/; do
    size="$(basename "$dir")"
    if [ -f "$dir/apps/$APP_ID.png" ]; then
      mkdir -p "$icons_dir/$size/apps"
      cp -f "$dir/apps/$APP_ID.png" "$icons_dir/$size/apps/"
    fi
  done
  if [ -f "$app_dir/_internal/resources/icons/$APP_ID.svg" ]; then
    mkdir -p "$icons_dir/scalable/apps"
    cp -f "$app_dir/_internal/resources/icons/$APP_ID.svg" "$icons_dir/scalable/apps/"
  fi

  # Absolute Exec= so the menu entry works even when ~/.local/bin is not on the session PATH.
  sed -e "s|^Exec=.*|Exec=\"$app_dir/pixtral-desk\"|" "$here/$APP_ID.desktop" > "$desktop.tmp" 2>/dev/null \
    || sed -e "s|^Exec=.*|Exec=\"$app_dir/pixtral-desk\"|" "$here/../$APP_ID.desktop" > "$desktop.tmp"
  mv -f "$desktop.tmp" "$desktop"
  chmod 644 "$desktop"
  refresh_caches

  echo "Pixtral Desk installed: menu entry $desktop, command $launcher"
  case ":$PATH:" in *":$bin_dir:"*) ;; *) echo "note: add $bin_dir to PATH to run pixtral-desk from a terminal";; esac
}

case "${1:-}" in
  "") install ;;
  --uninstall|uninstall) uninstall ;;
  -h|--help) usage ;;
  *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
esac
