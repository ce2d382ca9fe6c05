#!/usr/bin/env bash
# Build the one-folder bundle (build.spec), then the tarball and the .deb from it.
#
#   packaging/build_package.sh [--out DIR] [--work DIR] [--no-lintian] [--reuse-bundle]
#
# DIR (default dist/) receives:
#   b24-jira-studio/                                 the bundle (b24studio, b24sync, _internal/)
#   b24-jira-studio-<version>-linux-x86_64.tar.gz    the bundle plus desktop entry, icon and systemd unit
#   b24-jira-studio_<version>_amd64.deb              built with dpkg-deb; lintian output in ...deb.lintian
# --reuse-bundle packs DIR/b24-jira-studio as it is (no PyInstaller run), for iterating on the packaging.
# Env: PYTHON (default .venv/bin/python, must have PyInstaller), B24S_DEB_MAINTAINER.
# The version comes from sync_engine/version.py, the one place it is defined.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
LINTIAN=1
REUSE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    --work) WORK=$(realpath -m "$2"); shift 2 ;;
    --no-lintian) LINTIAN=0; shift ;;
    --reuse-bundle) REUSE=1; shift ;;
    *) echo "usage: $0 [--out DIR] [--work DIR] [--no-lintian] [--reuse-bundle]" >&2; exit 2 ;;
  esac
done
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
NAME=b24-jira-studio
MAINTAINER=${B24S_DEB_MAINTAINER:-Bitrix24-JIRA Studio developers <b24-jira-studio@example.org>}

log() { printf '\033[1;34m[package]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[package]\033[0m %s\n' "$*" >&2; exit 1; }

VERSION=$("$PYTHON" -c 'import runpy, sys; print(runpy.run_path(sys.argv[1])["__version__"])' \
  sync_engine/version.py)
# PEP 440 pre-releases sort before the release in Debian only with a tilde: 1.2.0rc1 -> 1.2.0~rc1.
DEB_VERSION=$(printf '%s' "$VERSION" | sed -E 's/([0-9])(a|b|rc|\.dev)([0-9]*)$/\1~\2\3/')
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
MACHINE=$(uname -m)
BUNDLE="$OUT/$NAME"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian package dpkg)"
"$PYTHON" -c 'import PyInstaller' 2>/dev/null || die "PyInstaller is missing: $PYTHON -m pip install -e '.[package]'"

# --- the bundle ---------------------------------------------------------------------------------
mkdir -p "$OUT" "$WORK"
if [ "$REUSE" = 1 ] && [ -x "$BUNDLE/b24sync" ]; then
  log "reusing the bundle in $BUNDLE"
else
  log "building the bundle for $NAME $VERSION (PyInstaller, a few minutes)"
  start=$(date +%s)
  "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$OUT" --workpath "$WORK" build.spec
  log "bundle built in $(( $(date +%s) - start )) s: $(du -sh "$BUNDLE" | cut -f1)"
fi
# Shared objects lose their symbol tables, as dh_strip would do (about 40 MB). The two programs are left
# alone: the PyInstaller bootloader finds its archive appended to its own file, which strip would cut off.
if command -v strip >/dev/null; then
  find "$BUNDLE/_internal" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 |
    xargs -0 strip --strip-unneeded --remove-section=.comment
else
  log "no strip (binutils): shared objects keep their symbols"
fi
log "bundle size: $(du -sh "$BUNDLE" | cut -f1)"
for cmd in b24sync b24studio; do
  got=$(env -i PATH=/usr/bin:/bin HOME="$WORK" "$BUNDLE/$cmd" --version)
  [ "$got" = "$cmd $VERSION" ] || die "$cmd --version printed '$got', expected '$cmd $VERSION'"
done

# The service unit is the service's own (resources/deploy), with ExecStart pointed at the bundle.
UNIT_SRC=resources/deploy/b24sync.service
[ -f "$UNIT_SRC" ] || die "$UNIT_SRC is missing: the .deb installs the service's systemd unit from there"
make_unit() {
  {
    echo "# Installed by the $NAME package, not enabled. Write /etc/b24sync/service.yaml and b24sync.env"
    echo "# (examples: /usr/share/doc/$NAME/examples), then: systemctl enable --now b24sync"
    grep -v -E '^#   sudo|^# systemd unit|^# Install:' "$UNIT_SRC" |
      sed -E "s|^ExecStart=[^ ]*b24sync |ExecStart=/opt/$NAME/b24sync |"
  } > "$1"
  grep -q "^ExecStart=/opt/$NAME/b24sync " "$1" || die "could not point $UNIT_SRC's ExecStart at the bundle"
}

# --- the tarball ------------------------------------------------------------------------------
STAGE="$WORK/stage"
rm -rf "$STAGE"
TOP="$STAGE/tar/$NAME-$VERSION"
mkdir -p "$TOP/share/applications" "$TOP/share/icons/hicolor/scalable/apps" "$TOP/share/systemd"
cp -a "$BUNDLE/." "$TOP/"
cp packaging/$NAME.desktop "$TOP/share/applications/"
cp resources/icons/$NAME.svg "$TOP/share/icons/hicolor/scalable/apps/"
make_unit "$TOP/share/systemd/b24sync.service"
TARBALL="$OUT/$NAME-$VERSION-linux-$MACHINE.tar.gz"
tar -C "$STAGE/tar" --owner=0 --group=0 --numeric-owner --sort=name -czf "$TARBALL" "$NAME-$VERSION"
log "tarball: $TARBALL ($(du -h "$TARBALL" | cut -f1))"

# --- the .deb ---------------------------------------------------------------------------------
PKG="$STAGE/deb"
DOC="$PKG/usr/share/doc/$NAME"
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/icons/hicolor/scalable/apps" "$PKG/lib/systemd/system" "$DOC/examples" \
  "$PKG/usr/share/lintian/overrides"
cp -a "$BUNDLE" "$PKG/opt/$NAME"
ln -s "/opt/$NAME/b24studio" "$PKG/usr/bin/b24studio"
ln -s "/opt/$NAME/b24sync" "$PKG/usr/bin/b24sync"
install -m 0644 packaging/$NAME.desktop "$PKG/usr/share/applications/$NAME.desktop"
install -m 0644 resources/icons/$NAME.svg "$PKG/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
make_unit "$PKG/lib/systemd/system/b24sync.service"
for example in resources/deploy/*.example; do
  [ -f "$example" ] && install -m 0644 "$example" "$DOC/examples/"
done
install -m 0644 packaging/debian/copyright "$DOC/copyright"
printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$NAME" "$DEB_VERSION" "$VERSION" "$MAINTAINER" "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")" |
  gzip -9n > "$DOC/changelog.gz"
install -m 0644 packaging/debian/lintian-overrides "$PKG/usr/share/lintian/overrides/$NAME"
# Regular permissions: directories and the two programs 0755, everything else 0644.
find "$PKG" -type d -exec chmod 0755 {} +
find "$PKG/opt" "$PKG/usr" "$PKG/lib" -type f -exec chmod 0644 {} +
chmod 0755 "$PKG/opt/$NAME/b24studio" "$PKG/opt/$NAME/b24sync"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$PKG/DEBIAN/$script"
done

# Only libraries the bundle does not carry are dependencies: glibc (newest symbol version used), GL/EGL
# (they must match the machine's drivers) and libxcb (PyInstaller leaves it to the system).
GLIBC=2.36
if command -v objdump >/dev/null; then
  found=$(find "$PKG/opt" -type f \( -name '*.so*' -o -name 'b24s*' \) -print0 |
    xargs -0 objdump -T 2>/dev/null | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' |
    sort -uV | tail -1) || true
  [ -n "$found" ] && GLIBC=$found
fi
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<EOF
Package: $NAME
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: adduser, libc6 (>= $GLIBC), libegl1, libgl1, libxcb1, sensible-utils
Recommends: fonts-dejavu-core | fonts-liberation2, libwayland-cursor0, libwayland-egl1
Section: misc
Priority: optional
Description: desktop studio and sync service that keep JIRA and Bitrix24 in step
 Bitrix24-JIRA Studio maps, previews and runs the synchronisation of
 purchase requests, projects, products and contacts between JIRA and
 Bitrix24.
 .
 This package carries its own Python runtime and libraries in
 /opt/$NAME. b24studio is the desktop studio; b24sync is the
 command line and the sync service (systemd unit b24sync.service,
 installed but not enabled; it runs as the system user b24sync).
EOF
(cd "$PKG" && find opt usr lib -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/md5sums"
DEB="$OUT/${NAME}_${DEB_VERSION}_${ARCH}.deb"
# gzip: several times faster than xz on this 200+ MB tree, and every dpkg reads it.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$PKG" "$DEB" >/dev/null
log "deb: $DEB ($(du -h "$DEB" | cut -f1))"
rm -rf "$STAGE"

if [ "$LINTIAN" = 1 ] && command -v lintian >/dev/null; then
  log "lintian (the report is in $DEB.lintian)"
  lintian --tag-display-limit 0 "$DEB" > "$DEB.lintian" 2>&1 || true
  if grep -q '^E: ' "$DEB.lintian"; then
    grep '^E: ' "$DEB.lintian" >&2
    die "lintian reported errors"
  fi
fi
log "done: $NAME $VERSION"
