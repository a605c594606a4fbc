#!/bin/sh
# Make sure tests/test_browser.py has a Chromium to drive (Playwright's own browser downloads are
# never used). Finds the same binaries as the test: $CHROMIUM, chromium, chromium-browser,
# google-chrome. If none is there and we are root on a Debian/Ubuntu machine, installs Debian's
# `chromium` with apt (quiet; errors stay visible). Otherwise says what to do and leaves it to
# the test, which skips without a browser (and fails under CI=true).
# Never fails the calling `make test`: a missing browser is reported by the test itself.

for b in "${CHROMIUM:-}" /usr/bin/chromium chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done

if [ "$(id -u)" != 0 ]; then
  echo "install_browser: no Chromium found and not root, so not installing one." >&2
  echo "  Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome;" >&2
  echo "  until then the browser tests skip (and fail under CI=true)." >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: no Chromium found and no apt-get here: install Chromium yourself" >&2
  echo "  or set CHROMIUM=/path/to/chrome; until then the browser tests skip." >&2
  exit 0
fi

echo "install_browser: installing Debian's chromium for the browser tests (apt-get, about 1 min)"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; then
  echo "install_browser: $(command -v chromium) installed"
else
  echo "install_browser: apt-get could not install chromium (see above); the browser tests will skip" >&2
fi
exit 0
