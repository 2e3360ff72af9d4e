#!/usr/bin/env bash
# Rebuilds the guest programs (`npm run guests`):
#   test/guests/<name>.elf              self-checking test guests (sources beside them)
#   test/guests/expected/<name>.out     their console output on qemu-system-riscv64 (the reference)
#   test/guests/expected/<name>.code    their exit code there
#   test/guests/<name>.img              a guest's disk, when it has one: drive 0 (the virtio-blk
#                                       device at 0x1000_1000) on QEMU (snapshot=on) and on
#                                       wasmvisor (not writable) alike; written here (see below)
#   test/guests/smode/<name>.elf        S-mode / paging / SBI guests (sources beside them), with
#   test/guests/smode/expected/         their references; see "S-mode guests" below. Not picked
#                                       up by test/guests.test.ts (that reads test/guests/*.elf).
#   bench/guests/<name>.elf             benchmark workloads
#   bench/guests/expected.json          each workload's output at scale 1 and 3, from a *native*
#                                       host build of the same C source (gcc -DNATIVE)
#   bench/guests/paged-<name>.elf       workload <name> as a U-mode program under Sv39 (sources in
#                                       bench/guests/paged/); its expected.json entry is a copy of
#                                       <name>'s
#   bench/micro/micro.elf               the virtualization microbenchmarks (bench/micro.ts)
# The ELFs and reference files are committed, so nothing here is needed to run the tests.
#
# Needs riscv64-unknown-elf-gcc (set CROSS=<prefix> for another toolchain), host gcc and node.
# qemu-system-riscv64 is optional: without it the QEMU reference outputs are left as they are.
# The SBI variant of skernel runs under OpenSBI's fw_jump (Debian package opensbi); set
# OPENSBI=<fw_jump.bin> for another copy. Without it, that one reference is left as it is.
# Options (environment): SKIP_QEMU=1 (do not run QEMU), SKIP_BENCH_QEMU=1 (do not cross-check the
# bench workloads on QEMU), QEMU_TIMEOUT=<seconds per test guest run, default 10>.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CROSS=${CROSS:-riscv64-unknown-elf-}
CC="${CROSS}gcc"
NM="${CROSS}nm"
HOSTCC=${HOSTCC:-gcc}
QEMU=${QEMU:-qemu-system-riscv64}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-10}
OPENSBI=${OPENSBI:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin}

TG="$ROOT/test/guests"
SG="$TG/smode"
COMMON="$TG/common"
BG="$ROOT/bench/guests"

die() {
  echo "build-guests: error: $*" >&2
  exit 1
}

command -v "$CC" >/dev/null 2>&1 ||
  die "cross compiler '$CC' not found. Install a bare-metal RISC-V GCC (Debian/Ubuntu: apt-get install gcc-riscv64-unknown-elf) or set CROSS=<prefix>. The committed ELFs do not need it."
command -v "$HOSTCC" >/dev/null 2>&1 || die "host C compiler '$HOSTCC' not found (needed for the native bench references)"
command -v node >/dev/null 2>&1 || die "node not found"

# Every guest: RV64IMAC, no FP, no libc, linked at 0x8000_0000 (common/virt.ld). A guest that needs
# more of the ISA gets it for its own source only (guest_march below), so crt0 and the library stay
# free of FP instructions (they run before the guest turns mstatus.FS on).
CFLAGS=(
  -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -O2
  -ffreestanding -nostdlib -nostartfiles -static
  -fno-tree-loop-distribute-patterns # keep memset/memcpy loops from turning into calls to themselves
  -Wall -Wextra -Wno-unused-parameter
  -I"$COMMON" -T"$COMMON/virt.ld" -Wl,--build-id=none
)
LIBS=(-lgcc)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------- test guests
# htif-*: guests for QEMU's spike machine; they talk HTIF (tohost/fromhost), not the UART.
#   htif-pass.S / htif-fail.S are standalone (own _start); htif-console.c uses crt0 only.
is_htif() { [[ $1 == htif-* ]]; }
# The -march of a test guest's own source, when it is not the common one (lp64 either way).
guest_march() {
  case "$1" in
    fpu) echo rv64imafdc_zicsr_zifencei ;;
  esac
}

build_test_guest() {
  local src=$1 name
  name=$(basename "${src%.*}")
  local out="$TG/$name.elf"
  local march
  march=$(guest_march "$name")
  if [ -n "$march" ]; then
    "$CC" "${CFLAGS[@]}" -march="$march" -c -o "$TMP/$name.o" "$src"
    src="$TMP/$name.o"
  fi
  case "$name" in
    htif-pass | htif-fail) "$CC" "${CFLAGS[@]}" -o "$out" "$src" ;;
    htif-*) "$CC" "${CFLAGS[@]}" -o "$out" "$COMMON/crt0.S" "$src" "${LIBS[@]}" ;;
    *) "$CC" "${CFLAGS[@]}" -o "$out" "$COMMON/crt0.S" "$COMMON/lib.c" "$COMMON/fmt.c" "$src" "${LIBS[@]}" ;;
  esac
  echo "  CC  test/guests/$name.elf"
}

echo "building test guests"
shopt -s nullglob
test_srcs=("$TG"/*.c "$TG"/*.S)
[ ${#test_srcs[@]} -gt 0 ] || die "no test guest sources in $TG"
names=()
for src in "${test_srcs[@]}"; do
  build_test_guest "$src"
  n=$(basename "${src%.*}")
  names+=("$n")
done
mapfile -t names < <(printf '%s\n' "${names[@]}" | sort)

# Disk images of the guests that have one. virtio.img: 16 sectors, byte i of sector s is
# (s * 31 + i) & 0xff (test/guests/virtio.c checks it).
node -e '
const b = Buffer.alloc(16 * 512);
for (let s = 0; s < 16; s++) for (let i = 0; i < 512; i++) b[s * 512 + i] = (s * 31 + i) & 0xff;
require("node:fs").writeFileSync(process.argv[1], b);
' "$TG/virtio.img"
echo "  GEN test/guests/virtio.img"

# ---------------------------------------------------------------- S-mode guests (test/guests/smode)
# skernel.elf      S-mode test kernel (skernel.c, sentry.S, user.S; skernel.ld, linked at
#                  0x8020_0000) with the M-mode entry mentry.S at 0x8000_0000 that delegates to it;
#                  UART console and test finisher. Runs like every other guest (-bios none /
#                  wasmvisor's default --sbi none).
# skernel-sbi.elf  the same kernel built with -DSKERNEL_SBI: no M-mode code, console and shutdown
#                  through SBI. Runs under firmware: QEMU with OpenSBI fw_jump, wasmvisor with
#                  --sbi builtin.
# sfaults.elf      bare-metal M-mode guest (common/crt0.S, lib.c, virt.ld) testing delegation,
#                  faults, Sv39 permissions and interrupt priority case by case.
SFLAGS=()
for f in "${CFLAGS[@]}"; do
  [[ $f == -T* ]] || SFLAGS+=("$f")
done
SFLAGS+=(-T"$SG/skernel.ld" -Wl,--no-warn-rwx-segments)
echo "building S-mode guests"
"$CC" "${SFLAGS[@]}" -Wl,-e,_mstart -o "$SG/skernel.elf" \
  "$SG/mentry.S" "$SG/sentry.S" "$SG/user.S" "$SG/skernel.c" "${LIBS[@]}"
echo "  CC  test/guests/smode/skernel.elf"
"$CC" "${SFLAGS[@]}" -DSKERNEL_SBI -o "$SG/skernel-sbi.elf" \
  "$SG/sentry.S" "$SG/user.S" "$SG/skernel.c" "${LIBS[@]}"
echo "  CC  test/guests/smode/skernel-sbi.elf"
"$CC" "${CFLAGS[@]}" -o "$SG/sfaults.elf" "$COMMON/crt0.S" "$COMMON/lib.c" "$COMMON/fmt.c" "$SG/sfaults.c" "${LIBS[@]}"
echo "  CC  test/guests/smode/sfaults.elf"

# ---------------------------------------------------------------- SMP guests (test/guests/smp)
# smp<N>.elf: N harts (run with --smp N / qemu -smp N); assembly, the shared virt.ld.
echo "building SMP guests"
for src in "$TG"/smp/smp*.S; do
  n=$(basename "${src%.S}")
  "$CC" -march=rv64imac_zicsr -mabi=lp64 -nostdlib -nostartfiles -static -T"$COMMON/virt.ld" \
    -o "$TG/smp/$n.elf" "$src"
  echo "  CC  test/guests/smp/$n.elf"
done

# ---------------------------------------------------------------- hostile guests (test/guests/hostile)
# Guests that attack their host (wild pointers, MMIO everywhere, page tables outside RAM, endless
# loops, console floods, code rewritten on every instruction, RAM exhaustion): test/host.test.ts
# runs them beside a well-behaved neighbour. Most never end, so they have no QEMU reference.
echo "building hostile guests"
for src in "$TG"/hostile/*.c; do
  n=$(basename "${src%.c}")
  "$CC" "${CFLAGS[@]}" -o "$TG/hostile/$n.elf" "$COMMON/crt0.S" "$COMMON/lib.c" "$COMMON/fmt.c" "$src" "${LIBS[@]}"
  echo "  CC  test/guests/hostile/$n.elf"
done

# ---------------------------------------------------------------- interactive guests (test/guests/interactive)
# Guests that read console input: test/replay.test.ts records and replays sessions with them. Their
# output depends on when the input arrives (echo.elf counts its polls), so they have no QEMU
# reference and test/guests.test.ts does not run them.
echo "building interactive guests"
for src in "$TG"/interactive/*.c; do
  n=$(basename "${src%.c}")
  "$CC" "${CFLAGS[@]}" -o "$TG/interactive/$n.elf" "$COMMON/crt0.S" "$COMMON/lib.c" "$COMMON/fmt.c" "$src" "${LIBS[@]}"
  echo "  CC  test/guests/interactive/$n.elf"
done

# ---------------------------------------------------------------- bench guests
echo "building bench workloads"
bench_srcs=("$BG"/*.c)
[ ${#bench_srcs[@]} -gt 0 ] || die "no bench sources in $BG"
benches=()
for src in "${bench_srcs[@]}"; do
  n=$(basename "${src%.c}")
  "$CC" "${CFLAGS[@]}" -I"$BG" -o "$BG/$n.elf" "$COMMON/crt0.S" "$COMMON/lib.c" "$COMMON/fmt.c" "$src" "${LIBS[@]}"
  "$NM" "$BG/$n.elf" | grep -q ' [DdGg] bench_scale$' || die "$n.elf has no bench_scale symbol in .data"
  echo "  CC  bench/guests/$n.elf"
  benches+=("$n")
done

# ---------------------------------------------------------------- paged bench workloads
# paged-<name>.elf: the workload <name>.c, unchanged, run as a U-mode program under Sv39 paging
# (bench/guests/paged/: kernel.c, ucrt0.S, ulib.c, paged.ld, with test/guests/smode's mentry.S
# and sentry.S), so the bench measures the MMU path beside the bare-metal <name>.elf. It prints
# what <name>.elf prints (expected.json: a copy of <name>'s native output) and honours bench_scale.
# The kernel's objects are named kern_*.o: paged.ld places them by that name.
PAGED=(qsort)
PG="$BG/paged"
PFLAGS=()
for f in "${CFLAGS[@]}"; do
  [[ $f == -T* ]] || PFLAGS+=("$f")
done
echo "building paged bench workloads"
for n in "${PAGED[@]}"; do
  o="$TMP/paged-$n"
  mkdir -p "$o"
  "$CC" "${PFLAGS[@]}" -mno-relax -c -o "$o/kern_mentry.o" "$SG/mentry.S"
  "$CC" "${PFLAGS[@]}" -mno-relax -c -o "$o/kern_sentry.o" "$SG/sentry.S"
  "$CC" "${PFLAGS[@]}" -mno-relax -c -o "$o/kern_kernel.o" "$PG/kernel.c"
  "$CC" "${PFLAGS[@]}" -c -o "$o/user_crt0.o" "$PG/ucrt0.S"
  "$CC" "${PFLAGS[@]}" -c -o "$o/user_lib.o" "$PG/ulib.c"
  "$CC" "${PFLAGS[@]}" -c -o "$o/user_fmt.o" "$COMMON/fmt.c"
  "$CC" "${PFLAGS[@]}" -I"$BG" -c -o "$o/user_main.o" "$BG/$n.c"
  "$CC" "${PFLAGS[@]}" -T"$PG/paged.ld" -o "$BG/paged-$n.elf" "$o"/kern_{mentry,sentry,kernel}.o \
    "$o"/user_{crt0,lib,fmt,main}.o "${LIBS[@]}"
  "$NM" "$BG/paged-$n.elf" | grep -q ' [DdGg] bench_scale$' || die "paged-$n.elf has no bench_scale symbol in .data"
  echo "  CC  bench/guests/paged-$n.elf"
done

# ---------------------------------------------------------------- virtualization microbenchmarks
# bench/micro/micro.elf: an S-mode kernel (micro.c, micro.S, micro.h, with test/guests/smode's
# sentry.S and skernel.ld, common/lib.c and fmt.c) that times one operation (system call, page
# fault, CSR write, MMIO, timer interrupt, SBI call, FENCE.I, printing a line) `micro_count`
# times; bench/micro.ts patches micro_op and micro_count and runs it with --sbi builtin.
MG="$ROOT/bench/micro"
echo "building microbenchmarks"
"$CC" "${SFLAGS[@]}" -I"$MG" -o "$MG/micro.elf" "$SG/sentry.S" "$MG/micro.S" "$MG/micro.c" \
  "$COMMON/lib.c" "$COMMON/fmt.c" "${LIBS[@]}"
for sym in micro_op micro_count; do
  "$NM" "$MG/micro.elf" | grep -q " [Dd] $sym\$" || die "micro.elf has no $sym symbol in .data"
done
echo "  CC  bench/micro/micro.elf"

# ---------------------------------------------------------------- native bench references
echo "native bench references (host $HOSTCC -O2 -DNATIVE)"
mkdir -p "$TMP/native"
for n in "${benches[@]}"; do
  "$HOSTCC" -O2 -DNATIVE -Wall -I"$BG" -o "$TMP/native/$n" "$BG/$n.c"
  for s in 1 3; do
    "$TMP/native/$n" "$s" >"$TMP/native/$n.$s.out" || die "native $n (scale $s) exited with status $?"
  done
done
# paged-<name> gets an entry of its own, a copy of <name>'s (it prints the same text).
PAGED_LIST="${PAGED[*]}" node - "$TMP/native" "$BG/expected.json" "${benches[@]}" <<'EOF'
const fs = require('node:fs');
const [dir, outFile, ...names] = process.argv.slice(2);
const paged = (process.env.PAGED_LIST ?? '').split(' ').filter(Boolean);
const refs = names.map((n) => [n, n]).concat(paged.map((n) => [`paged-${n}`, n]));
refs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const result = {};
for (const [n, ref] of refs) {
  result[n] = {};
  for (const s of ['1', '3']) result[n][s] = fs.readFileSync(`${dir}/${ref}.${s}.out`, 'latin1');
}
fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
EOF
echo "  wrote bench/guests/expected.json"

# ---------------------------------------------------------------- QEMU references
if [ "${SKIP_QEMU:-0}" = 1 ] || ! command -v "$QEMU" >/dev/null 2>&1; then
  echo "QEMU ($QEMU) not run: test/guests/expected/ left unchanged" >&2
  exit 0
fi

run_qemu() { # machine elf stdout-file [extra qemu args...]; prints the exit status
  local machine=$1 elf=$2 out=$3
  shift 3
  local rc=0
  timeout "$QEMU_TIMEOUT" "$QEMU" -M "$machine" -bios none -nographic -kernel "$elf" "$@" </dev/null >"$out" 2>"$TMP/qemu.err" || rc=$?
  echo "$rc"
}

echo "QEMU reference outputs ($($QEMU --version | head -1))"
mkdir -p "$TG/expected"
status=0
for n in "${names[@]}"; do
  machine=virt
  is_htif "$n" && machine=spike
  disk=()
  if [ -f "$TG/$n.img" ]; then
    # As xv6 runs: a modern (version 2) transport, the drive on the first one, writes not kept.
    disk=(-global virtio-mmio.force-legacy=false
      -drive "file=$TG/$n.img,if=none,format=raw,id=x0,snapshot=on"
      -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0)
  fi
  rc=$(run_qemu "$machine" "$TG/$n.elf" "$TG/expected/$n.out" "${disk[@]}")
  if [ "$rc" = 124 ]; then
    echo "  $n: TIMEOUT after ${QEMU_TIMEOUT}s on QEMU" >&2
    status=1
  fi
  echo "$rc" >"$TG/expected/$n.code"
  printf '  %-16s exit %s\n' "$n" "$rc"
done
# S-mode guests. skernel and sfaults: -bios none, like the guests above. skernel-sbi: under
# OpenSBI fw_jump (it enters the kernel at 0x8020_0000 in S-mode). Its reference is the kernel's
# output only: everything OpenSBI prints before the kernel's first line ("skernel: ...") is cut,
# and the carriage returns OpenSBI's console puts before every newline are removed, so the file
# is byte for byte the UART variant's (checked below).
mkdir -p "$SG/expected"
for n in skernel sfaults; do
  rc=$(run_qemu virt "$SG/$n.elf" "$SG/expected/$n.out")
  [ "$rc" = 124 ] && { echo "  smode/$n: TIMEOUT after ${QEMU_TIMEOUT}s on QEMU" >&2; status=1; }
  echo "$rc" >"$SG/expected/$n.code"
  printf '  %-18s exit %s\n' "smode/$n" "$rc"
done
if [ -f "$OPENSBI" ]; then
  rc=0
  timeout "$QEMU_TIMEOUT" "$QEMU" -M virt -bios "$OPENSBI" -nographic -kernel "$SG/skernel-sbi.elf" \
    </dev/null >"$TMP/skernel-sbi.raw" 2>"$TMP/qemu.err" || rc=$?
  [ "$rc" = 124 ] && { echo "  smode/skernel-sbi: TIMEOUT after ${QEMU_TIMEOUT}s on QEMU" >&2; status=1; }
  tr -d '\r' <"$TMP/skernel-sbi.raw" | sed -n '/^skernel: /,$p' >"$SG/expected/skernel-sbi.out"
  echo "$rc" >"$SG/expected/skernel-sbi.code"
  printf '  %-18s exit %s (OpenSBI banner cut)\n' "smode/skernel-sbi" "$rc"
  if ! cmp -s "$SG/expected/skernel.out" "$SG/expected/skernel-sbi.out"; then
    echo "  smode/skernel-sbi: output differs from smode/skernel's:" >&2
    diff "$SG/expected/skernel.out" "$SG/expected/skernel-sbi.out" >&2 || true
    status=1
  fi
else
  echo "  OpenSBI ($OPENSBI) not found: smode/expected/skernel-sbi.* left unchanged (apt-get install opensbi)" >&2
fi
# SMP guests: the hart count is the number in the name (smp2 -> -smp 2).
mkdir -p "$TG/smp/expected"
for elf in "$TG"/smp/smp*.elf; do
  n=$(basename "${elf%.elf}")
  rc=$(run_qemu virt "$elf" "$TG/smp/expected/$n.out" -smp "${n#smp}")
  [ "$rc" = 124 ] && { echo "  smp/$n: TIMEOUT after ${QEMU_TIMEOUT}s on QEMU" >&2; status=1; }
  echo "$rc" >"$TG/smp/expected/$n.code"
  printf '  %-18s exit %s\n' "smp/$n" "$rc"
done
# drop references of guests that no longer exist
for f in "$TG"/expected/*.out; do
  n=$(basename "${f%.out}")
  [ -f "$TG/$n.elf" ] || rm -f "$TG/expected/$n.out" "$TG/expected/$n.code"
done

# Each bench workload on QEMU must print what the native build printed, at scale 1 and at
# scale 3 (for scale 3: a copy of the ELF with bench_scale patched in its loaded .data image).
patch_scale() { # elf symbol-address value out
  node - "$@" <<'EOF'
const fs = require('node:fs');
const [elf, addrHex, value, out] = process.argv.slice(2);
const b = fs.readFileSync(elf);
const addr = BigInt(addrHex);
const phoff = Number(b.readBigUInt64LE(0x20));
const phentsize = b.readUInt16LE(0x36);
const phnum = b.readUInt16LE(0x38);
let done = false;
for (let i = 0; i < phnum; i++) {
  const p = phoff + i * phentsize;
  if (b.readUInt32LE(p) !== 1) continue; // PT_LOAD
  const off = b.readBigUInt64LE(p + 8);
  const vaddr = b.readBigUInt64LE(p + 16);
  const filesz = b.readBigUInt64LE(p + 32);
  if (addr >= vaddr && addr + 4n <= vaddr + filesz) {
    b.writeUInt32LE(Number(value), Number(off + addr - vaddr));
    done = true;
  }
}
if (!done) throw new Error(`bench_scale at ${addrHex} is not in a loaded segment of ${elf}`);
fs.writeFileSync(out, b);
EOF
}

if [ "${SKIP_BENCH_QEMU:-0}" != 1 ]; then
  echo "cross-checking bench workloads on QEMU against the native outputs"
  for n in "${benches[@]}" "${PAGED[@]/#/paged-}"; do
    ref=${n#paged-} # a paged workload prints what its bare-metal twin prints
    addr=$("$NM" "$BG/$n.elf" | awk '$3 == "bench_scale" { print "0x" $1 }')
    for s in 1 3; do
      elf="$BG/$n.elf"
      if [ "$s" != 1 ]; then
        elf="$TMP/$n.scale$s.elf"
        patch_scale "$BG/$n.elf" "$addr" "$s" "$elf"
      fi
      rc=$(QEMU_TIMEOUT=120 run_qemu virt "$elf" "$TMP/$n.q$s.out")
      if [ "$rc" != 0 ] || ! cmp -s "$TMP/$n.q$s.out" "$TMP/native/$ref.$s.out"; then
        echo "  $n scale $s: MISMATCH (QEMU exit $rc)" >&2
        diff "$TMP/native/$ref.$s.out" "$TMP/$n.q$s.out" >&2 || true
        status=1
      else
        printf '  %-16s scale %s ok\n' "$n" "$s"
      fi
    done
  done
fi
exit $status
