#!/bin/sh
# Make sure tests/test_browser.py has a Chromium to drive (Playwright's own browser downloads are
# never used), and CJK fonts, so that the walkthroughs' quotes of the seed notes (in Chinese)
# render as glyphs rather than boxes. Finds the same binaries as the test: $CHROMIUM, chromium,
# chromium-browser, google-chrome; finds the fonts with fc-list. If something is missing and we
# are root on a Debian/Ubuntu machine, installs Debian's `chromium` and/or `fonts-noto-cjk` with
# apt (quiet; errors stay visible). Otherwise says what to do and leaves it to the test, which
# skips without a browser (and fails under CI=true).
# Never fails the calling `make test`: a missing browser is reported by the test itself.

need=""
have_browser=""
for b in "${CHROMIUM:-}" /usr/bin/chromium chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
    have_browser=yes
    break
  fi
done
[ -n "$have_browser" ] || need="chromium"
# fonts-noto-cjk: Chinese glyphs for the seed quotes (without them headless Chromium draws boxes)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi cjk; }; then
  need="$need fonts-noto-cjk"
fi
[ -n "$need" ] || exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install_browser: missing:$need; not root, so not installing." >&2
  echo "  Install it (Debian/Ubuntu: sudo apt-get install$need) or set CHROMIUM=/path/to/chrome;" >&2
  echo "  until then the browser tests skip (and fail under CI=true), and Chinese shows as boxes." >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: missing:$need, and no apt-get here: install them yourself" >&2
  echo "  (or set CHROMIUM=/path/to/chrome); until then the browser tests skip." >&2
  exit 0
fi

echo "install_browser: installing$need for the browser tests (apt-get, about 1 min)"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # $need is a list of package names
if apt-get update -qq >/dev/null && apt-get install -y -qq $need >/dev/null; then
  echo "install_browser:$need installed"
else
  echo "install_browser: apt-get could not install$need (see above); the browser tests may skip" >&2
fi
exit 0
