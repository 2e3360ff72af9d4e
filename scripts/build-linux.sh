#!/usr/bin/env bash
# Builds the Linux guest fixtures in test/guests/linux/ from Debian's packages:
#   Image               Linux 6.1 (linux-source-6.1): `make tinyconfig` + kernel.fragment, RV64,
#                       for QEMU's virt board (S-mode entry, under OpenSBI or an SBI of its own)
#   initramfs.cpio      a static busybox (Debian's busybox source package, its busybox-static
#                       configuration + busybox.fragment), cross-built for riscv64 glibc, with
#                       rootfs/ (the project's /init, /sbin/telinit, /etc) on top; cpio newc,
#                       not compressed: gunzip would cost the guest ~33 M instructions per boot,
#                       and git compresses what it stores anyway
#   kernel.config       the kernel's full resulting .config (recorded, not an input)
#   busybox.config      busybox's full resulting .config (recorded, not an input)
#   VERSIONS            the packages and versions used, the date, the outputs' sizes and sha256
# The outputs are committed, so nothing here is needed to run the tests.
#
# Needs (Debian 12, bookworm):
#   apt-get install linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
#     make gcc libc6-dev bc flex bison dpkg-dev xz-utils
# and busybox's source package: deb-src lines in /etc/apt/sources.list(.d) for `apt-get source
# busybox` (see the message below when they are missing), or BUSYBOX_DSC=<path to a .dsc>.
# Afterwards it boots the result on QEMU (test/linux-qemu.test.ts) when qemu-system-riscv64 and
# Debian's OpenSBI (package opensbi) are installed.
#
# Options (environment): BUILD_DIR (default /tmp/wasmvisor-linux; emptied first), JOBS (default
# nproc), BUSYBOX_DSC (a busybox .dsc to unpack instead of `apt-get source busybox`),
# SOURCE_DATE_EPOCH (default: the newer of the two source packages' changelog dates),
# SKIP_QEMU=1 (do not boot the result).
#
# Reproducible: the same packages give the same Image and initramfs byte for byte (fixed build
# user, host and timestamp; the initramfs is written by the kernel's gen_init_cpio with owners
# 0:0 and every mtime at SOURCE_DATE_EPOCH).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/test/guests/linux"
BUILD_DIR=${BUILD_DIR:-/tmp/wasmvisor-linux}
JOBS=${JOBS:-$(nproc)}
CROSS=riscv64-linux-gnu-
KSRC_TAR=/usr/src/linux-source-6.1.tar.xz

die() {
  echo "build-linux: error: $*" >&2
  exit 1
}
step() { echo "build-linux: $*"; }

# ---------------------------------------------------------------- what this needs
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
version() { dpkg-query -W -f='${Version}' "$1"; }

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script uses Debian's packages (Debian 12, bookworm)"
NEEDED=(linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross make gcc libc6-dev bc flex bison dpkg-dev xz-utils)
missing=()
for p in "${NEEDED[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] || die "missing packages: ${missing[*]}
  apt-get install ${missing[*]}"
[ -f "$KSRC_TAR" ] || die "$KSRC_TAR not found (it comes with linux-source-6.1; reinstall it)"
command -v "${CROSS}gcc" >/dev/null 2>&1 || die "${CROSS}gcc not found (gcc-riscv64-linux-gnu)"
for f in kernel.fragment busybox.fragment rootfs/init rootfs/sbin/telinit; do
  [ -f "$OUT/$f" ] || die "$OUT/$f is missing"
done
if [ -z "${BUSYBOX_DSC:-}" ] && [ -z "$(apt-cache showsrc busybox 2>/dev/null)" ]; then
  die "no source package for busybox: apt knows no deb-src lines. Add them, e.g. a file
  /etc/apt/sources.list.d/debian-src.sources with
    Types: deb-src
    URIs: http://deb.debian.org/debian
    Suites: bookworm bookworm-updates
    Components: main
    Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
  then apt-get update; or set BUSYBOX_DSC=<path to busybox_*.dsc> (dget/dpkg-source -x)."
fi

# ---------------------------------------------------------------- sources
case "$BUILD_DIR" in /tmp/?*) ;; *) [ -n "${BUILD_DIR_OK:-}" ] || die "BUILD_DIR=$BUILD_DIR is not under /tmp (set BUILD_DIR_OK=1 to use it anyway: it is emptied)" ;; esac
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"
KSRC="$BUILD_DIR/linux-source-6.1"
KOBJ="$BUILD_DIR/linux-obj"
BSRC_PARENT="$BUILD_DIR/busybox-src"
BOBJ="$BUILD_DIR/busybox-obj"
ROOTFS="$BUILD_DIR/rootfs"
mkdir -p "$KOBJ" "$BSRC_PARENT" "$BOBJ" "$ROOTFS"

step "unpacking $KSRC_TAR (linux-source-6.1 $(version linux-source-6.1))"
tar -C "$BUILD_DIR" -xf "$KSRC_TAR"
[ -f "$KSRC/Makefile" ] || die "$KSRC_TAR did not unpack to $KSRC"
KVERSION=$(make -s -C "$KSRC" kernelversion)

step "getting busybox's source package"
if [ -n "${BUSYBOX_DSC:-}" ]; then
  [ -f "$BUSYBOX_DSC" ] || die "BUSYBOX_DSC=$BUSYBOX_DSC: no such file"
  (cd "$BSRC_PARENT" && dpkg-source -x "$(realpath "$BUSYBOX_DSC")" >/dev/null)
else
  (cd "$BSRC_PARENT" && apt-get source --only-source busybox >/dev/null 2>"$BUILD_DIR/apt-source.log") ||
    die "apt-get source busybox failed: $(cat "$BUILD_DIR/apt-source.log")"
fi
BSRC=$(find "$BSRC_PARENT" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -1)
[ -n "$BSRC" ] && [ -f "$BSRC/debian/config/pkg/static" ] ||
  die "busybox source in $BSRC_PARENT has no debian/config/pkg/static (not Debian's package?)"
BB_DEB_VERSION=$(dpkg-parsechangelog -l "$BSRC/debian/changelog" -S Version)

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  zcat /usr/share/doc/linux-source-6.1/changelog.Debian.gz >"$BUILD_DIR/linux-changelog"
  k=$(dpkg-parsechangelog -l "$BUILD_DIR/linux-changelog" -S Timestamp)
  b=$(dpkg-parsechangelog -l "$BSRC/debian/changelog" -S Timestamp)
  SOURCE_DATE_EPOCH=$((k > b ? k : b))
fi
export SOURCE_DATE_EPOCH
export KBUILD_BUILD_TIMESTAMP
KBUILD_BUILD_TIMESTAMP=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH")
export KBUILD_BUILD_USER=wasmvisor KBUILD_BUILD_HOST=wasmvisor KBUILD_BUILD_VERSION=1
export KCONFIG_NOTIMESTAMP=1 LC_ALL=C TZ=UTC

# check_fragment FRAGMENT CONFIG: every setting of the fragment holds in the final .config
check_fragment() {
  local frag=$1 config=$2 bad=0 line sym
  while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]]; then
      grep -qxF -- "$line" "$config" || {
        echo "  wanted: $line; got: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$config" || echo "(absent: dependencies not met)")" >&2
        bad=1
      }
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      sym=${BASH_REMATCH[1]}
      if grep -q "^$sym=" "$config"; then
        echo "  wanted: $line; got: $(grep "^$sym=" "$config")" >&2
        bad=1
      fi
    fi
  done <"$frag"
  [ $bad = 0 ] || die "$(basename "$frag"): the settings above do not hold in the final configuration"
}

# ---------------------------------------------------------------- kernel
KMAKE=(make -C "$KSRC" O="$KOBJ" ARCH=riscv CROSS_COMPILE="$CROSS" -j"$JOBS")
step "configuring Linux $KVERSION: tinyconfig + kernel.fragment"
"${KMAKE[@]}" -s tinyconfig >/dev/null
(cd "$KOBJ" && ARCH=riscv "$KSRC/scripts/kconfig/merge_config.sh" -m .config "$OUT/kernel.fragment" >"$BUILD_DIR/merge_config.log")
"${KMAKE[@]}" -s olddefconfig >/dev/null
check_fragment "$OUT/kernel.fragment" "$KOBJ/.config"

step "building the kernel (make -j$JOBS Image)"
t0=$(date +%s)
"${KMAKE[@]}" Image >"$BUILD_DIR/kernel-build.log" 2>&1 || {
  tail -30 "$BUILD_DIR/kernel-build.log" >&2
  die "the kernel build failed (log: $BUILD_DIR/kernel-build.log)"
}
KTIME=$(($(date +%s) - t0))
step "  kernel built in ${KTIME}s"

# ---------------------------------------------------------------- busybox
# As Debian's rules build the busybox-static flavour: its config, oldconfig, one `make` target.
# The fragment's symbols replace the static config's lines for them.
BBMAKE=(make -C "$BOBJ" -f "$BSRC/Makefile" KBUILD_SRC="$BSRC" CROSS_COMPILE="$CROSS")
step "configuring busybox $BB_DEB_VERSION: Debian's static config + busybox.fragment"
syms=$(grep -oE '^(# )?CONFIG_[A-Za-z0-9_]+' "$OUT/busybox.fragment" | sed 's/^# //' | sort -u)
{
  cat "$BSRC/debian/config/os/linux" "$BSRC/debian/config/pkg/static" |
    grep -vE "^(# )?($(echo "$syms" | paste -sd'|'))[= ]" || true
  grep -E '^(# )?CONFIG_' "$OUT/busybox.fragment"
} >"$BOBJ/.config"
{ yes "" || true; } | "${BBMAKE[@]}" silentoldconfig >"$BUILD_DIR/busybox-config.log" 2>&1 ||
  die "busybox oldconfig failed (log: $BUILD_DIR/busybox-config.log)"
check_fragment "$OUT/busybox.fragment" "$BOBJ/.config"
grep -qx 'CONFIG_STATIC=y' "$BOBJ/.config" || die "busybox is not configured static"

step "building busybox (make -j$JOBS busybox)"
t0=$(date +%s)
"${BBMAKE[@]}" -j"$JOBS" BB_EXTRA_VERSION="Debian $BB_DEB_VERSION" busybox >"$BUILD_DIR/busybox-build.log" 2>&1 || {
  tail -30 "$BUILD_DIR/busybox-build.log" >&2
  die "the busybox build failed (log: $BUILD_DIR/busybox-build.log)"
}
"${BBMAKE[@]}" busybox.links >>"$BUILD_DIR/busybox-build.log" 2>&1 || die "make busybox.links failed"
BTIME=$(($(date +%s) - t0))
step "  busybox built in ${BTIME}s"
if "${CROSS}readelf" -l "$BOBJ/busybox" | grep -q 'program interpreter'; then
  die "$BOBJ/busybox is not statically linked"
fi

# ---------------------------------------------------------------- initramfs
# The list for gen_init_cpio: directories, /dev/console (the kernel opens it for /init before
# devtmpfs is mounted), busybox and its applet links, then rootfs/ on top. Owners 0:0; mtimes
# are SOURCE_DATE_EPOCH (-t for directories, nodes and links; files are touched to it).
step "packing the initramfs"
gcc -O2 -o "$BUILD_DIR/gen_init_cpio" "$KSRC/usr/gen_init_cpio.c"
install -m 755 "$BOBJ/busybox" "$ROOTFS/busybox"
LIST="$BUILD_DIR/initramfs.list"
{
  for d in /bin /dev /etc /mnt /proc /root /sbin /sys /tmp /usr /usr/bin /usr/sbin; do
    mode=755
    [ "$d" = /tmp ] && mode=1777
    [ "$d" = /root ] && mode=700
    echo "dir $d $mode 0 0"
  done
  echo "nod /dev/console 600 0 0 c 5 1"
  echo "file /bin/busybox $ROOTFS/busybox 755 0 0"
  sort -u "$BOBJ/busybox.links" | while read -r link; do
    [ "$link" = /bin/busybox ] || echo "slink $link /bin/busybox 777 0 0"
  done
  # rootfs/: directories not made above, then files (mode from the repository: 755 or 644)
  (cd "$OUT/rootfs" && find . -mindepth 1 -type d | sort) | while read -r d; do
    d=${d#.}
    case " /bin /dev /etc /mnt /proc /root /sbin /sys /tmp /usr /usr/bin /usr/sbin " in
      *" $d "*) ;;
      *) echo "dir $d 755 0 0" ;;
    esac
  done
  (cd "$OUT/rootfs" && find . -type f | sort) | while read -r f; do
    f=${f#.}
    mode=644
    [ -x "$OUT/rootfs$f" ] && mode=755
    mkdir -p "$(dirname "$ROOTFS/overlay$f")"
    cp "$OUT/rootfs$f" "$ROOTFS/overlay$f"
    echo "file $f $ROOTFS/overlay$f $mode 0 0"
  done
} >"$LIST"
find "$ROOTFS" -type f -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
"$BUILD_DIR/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$LIST" >"$BUILD_DIR/initramfs.cpio"

# ---------------------------------------------------------------- outputs
install -m 644 "$KOBJ/arch/riscv/boot/Image" "$OUT/Image"
install -m 644 "$BUILD_DIR/initramfs.cpio" "$OUT/initramfs.cpio"
rm -f "$OUT/initramfs.cpio.gz"
cp "$KOBJ/.config" "$OUT/kernel.config"
cp "$BOBJ/.config" "$OUT/busybox.config"

pkgline() { printf '%-30s %s\n' "$1" "$(version "$1" 2>/dev/null || echo '(not installed)')"; }
sizeline() { printf '%-30s %s bytes, sha256 %s\n' "$1" "$(stat -c %s "$OUT/$1")" "$(sha256sum "$OUT/$1" | cut -d' ' -f1)"; }
{
  echo "# wasmvisor's Linux guest, built by scripts/build-linux.sh"
  echo "built                          $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -m), $JOBS jobs"
  echo "SOURCE_DATE_EPOCH              $SOURCE_DATE_EPOCH ($KBUILD_BUILD_TIMESTAMP)"
  echo
  echo "# Debian packages"
  pkgline linux-source-6.1
  printf '%-30s %s\n' "busybox (source package)" "$BB_DEB_VERSION"
  pkgline gcc-riscv64-linux-gnu
  pkgline gcc-12-riscv64-linux-gnu
  pkgline binutils-riscv64-linux-gnu
  pkgline libc6-dev-riscv64-cross
  pkgline linux-libc-dev-riscv64-cross
  echo
  echo "# what they are"
  printf '%-30s %s\n' "Linux" "$KVERSION (ARCH=riscv, tinyconfig + kernel.fragment -> kernel.config)"
  printf '%-30s %s\n' "busybox" "$("${CROSS}strings" "$BOBJ/busybox" | grep -m1 '^BusyBox v') (Debian's busybox-static config + busybox.fragment -> busybox.config)"
  printf '%-30s %s\n' "cross compiler" "$("${CROSS}gcc" --version | head -1)"
  printf '%-30s %s\n' "build times" "kernel ${KTIME}s, busybox ${BTIME}s (wall, -j$JOBS)"
  echo
  echo "# outputs"
  sizeline Image
  sizeline initramfs.cpio
  printf '%-30s %s entries, %s bytes gzip -9'"'"'d\n' "  (initramfs.cpio)" "$(grep -c . "$LIST")" "$(gzip -n -9 <"$OUT/initramfs.cpio" | wc -c)"
} >"$OUT/VERSIONS"
step "wrote test/guests/linux/{Image,initramfs.cpio,kernel.config,busybox.config,VERSIONS}"
sed -n '/^# outputs/,$p' "$OUT/VERSIONS"

# ---------------------------------------------------------------- boot it on QEMU
if [ "${SKIP_QEMU:-0}" = 1 ]; then
  exit 0
fi
if ! command -v qemu-system-riscv64 >/dev/null 2>&1 || [ ! -f /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin ]; then
  echo "build-linux: qemu-system-riscv64 or OpenSBI (package opensbi) not installed: not booted" >&2
  exit 0
fi
step "booting it on QEMU (test/linux-qemu.test.ts)"
cd "$ROOT" && npx vitest run test/linux-qemu.test.ts
