#!/bin/sh
# packaging/mkdeb.sh BINARY OUTDIR: builds OUTDIR/tierd_VERSION_amd64.deb around BINARY with
# Debian's own tools (dpkg-shlibdeps for Depends, dpkg-deb to build; pandoc turns
# docs/man/tierd.1.md into the man page) and prints the path of the package. `make deb`
# gives it a binary built with dpkg-buildflags; the e2e test gives it build/tierd.
set -eu

bin=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
version=$("$bin" version | sed -n 's/^tierd //p')
[ -n "$version" ] || { echo "mkdeb: $bin version printed no version" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tierd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/root
doc=$r/usr/share/doc/tierd

install -d -m 0755 "$r/DEBIAN" "$r/usr/bin" "$r/etc/tierd" "$r/etc/logrotate.d" \
    "$r/lib/systemd/system" "$r/usr/lib/sysusers.d" "$r/usr/lib/tmpfiles.d" \
    "$r/usr/share/man/man1" "$doc"
install -m 0755 "$bin" "$r/usr/bin/tierd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$r/usr/bin/tierd"
install -m 0644 "$here/tierd.yaml" "$r/etc/tierd/tierd.yaml"
install -m 0644 "$here/tierd.logrotate" "$r/etc/logrotate.d/tierd"
install -m 0644 "$here/tierd.service" "$r/lib/systemd/system/tierd.service"
install -m 0644 "$here/tierd.sysusers" "$r/usr/lib/sysusers.d/tierd.conf"
install -m 0644 "$here/tierd.tmpfiles" "$r/usr/lib/tmpfiles.d/tierd.conf"
pandoc -s -t man "$top/docs/man/tierd.1.md" -o "$work/tierd.1"
gzip -9n -c "$work/tierd.1" >"$r/usr/share/man/man1/tierd.1.gz"
install -m 0644 "$here/debian/copyright" "$doc/copyright"
for f in stack-file.md service.md; do
    gzip -9n -c "$top/docs/$f" >"$doc/$f.gz"
done
chmod 0644 "$r/usr/share/man/man1/tierd.1.gz" "$doc"/*.gz
# A native package's changelog, as lintian wants it: one entry for this version.
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'tierd (%s) unstable; urgency=medium\n\n  * Built from the tierd tree.\n\n -- %s  %s\n' \
    "$version" "tierd developers <tierd@example.org>" "$date" |
    gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

for s in postinst prerm postrm; do
    install -m 0755 "$here/debian/$s" "$r/DEBIAN/$s"
done
install -m 0644 "$here/debian/conffiles" "$r/DEBIAN/conffiles"

# dpkg-shlibdeps reads debian/control from the current directory: give it a minimal one.
mkdir -p "$work/src/debian"
printf 'Source: tierd\n\nPackage: tierd\nArchitecture: amd64\n' >"$work/src/debian/control"
deps=$(cd "$work/src" && dpkg-shlibdeps -O -e"$r/usr/bin/tierd" 2>/dev/null |
       sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -k -s --exclude=DEBIAN "$r" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$deps/" \
    "$here/debian/control.in" >"$r/DEBIAN/control"
(cd "$r" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$r/DEBIAN/md5sums"
chmod 0644 "$r/DEBIAN/md5sums" "$r/DEBIAN/control"

mkdir -p "$out"
deb=$out/tierd_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$r" "$deb" >/dev/null
echo "$deb"
