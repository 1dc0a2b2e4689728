#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the project's kernel under QEMU (TCG), load an xfs.ko variant and run a command from the
# host checkout inside the guest as root.
#
#   scripts/vm.sh [--variant rust|c|both] [--driver] [--systemd | --xfs-root | --deb] [--timeout SECS]
#                 [--mem MIB] [--cpus N] [--] [COMMAND [ARGS...]]
#
# --cpus N gives the guest N CPUs (default XFSHM_CPUS, else 1; the debug kernel always boots one).
# --driver loads the test builds of xfs.ko with the report driver (tests/driver) and its loader
# module.  --variant both boots with neither xfs.ko loaded and both test builds at
# /xfshm/xfs-c.ko and /xfshm/xfs-rust.ko, for comparing them in one boot: `xfshm-load c|rust`
# (scripts/guest-load.sh) switches between them.  XFSHM_KERNEL=bench boots the benchmark kernel,
# XFSHM_KERNEL=distro Debian's stock kernel (linux-image-*-amd64, scripts/build-distro.sh) with its
# own modules, the C variant then being Debian's own xfs.ko.
#
# --systemd boots the systemd guest instead (scripts/guest-sdinit.sh): systemd as PID 1 on a
# writable overlay of the systemd root filesystem (scripts/build-rootfs.sh --systemd), xfs.ko
# loaded before it starts, and the command run by xfshm-test.service once the boot is done; the
# journal of the boot is kept as journal in the run directory.  --xfs-root does the same with
# that root filesystem's XFS image (a throwaway copy) as /, mounted by the chosen xfs.ko.
# XFSHM_ROOTFS=bench boots the benchmark guest's root filesystem, which has fio
# (scripts/build-rootfs.sh --bench).  --deb (XFSHM_KERNEL=distro only) boots the systemd guest
# on the Debian system of the package tests (scripts/build-rootfs.sh --deb), with its own
# /lib/modules and no xfs.ko loaded, and the packages of make deb at /xfshm/debs.
#
# The command runs with the checkout mounted read-only at /host as its working directory, and
# these block devices and variables:
#   TEST_DEV=/dev/vda (1 GiB)  SCRATCH_DEV=/dev/vdb (2 GiB)
#   SCRATCH_RTDEV=/dev/vdc (1 GiB)  SCRATCH_LOGDEV=/dev/vdd (512 MiB)
#   TEST_DIR=/mnt/test  SCRATCH_MNT=/mnt/scratch  XFSHM_VARIANT=rust|c  XFSHM_OUT=/xfshm/out
# and the helpers of samples/ (hmprobe) on its PATH.
# Its output streams to this terminal and its exit status is returned.  /xfshm/out inside the
# guest is a writable directory on the host, named in the last line on failure or kept with
# --keep.  Without a command an interactive shell is started.  A panic, oops, BUG, WARN,
# lockdep or KASAN report in the guest kernel's log fails the run even if the command succeeded.
set -euo pipefail
. "$(dirname "$0")/common.sh"

variant=rust
timeout_s=3600
mem=2048
cpus=${XFSHM_CPUS:-1}
keep=
driver=
systemd=
while [ $# -gt 0 ]; do
	case $1 in
	--variant | --variant=*) variant_flag "rust c both" "$@"; shift "$nshift" ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--driver) driver=--driver; shift ;;
	--systemd) systemd=overlay; shift ;;
	--xfs-root) systemd=xfs; shift ;;
	--deb) systemd=overlay; XFSHM_ROOTFS=deb; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '3,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done

# Runs of this script may start together (tests/run boots both variants at once): one at a time
# sets up and builds what they need, and the next finds it done.
mkdir -p "$CACHE"
exec 8>"$CACHE/.vm-prepare.lock"
flock 8
setup_versions
[ "$XFSHM_KERNEL" != distro ] || load_distro
KBUILD=$("$TOP/scripts/build-kernel.sh")
ROOTFS=$("$TOP/scripts/build-rootfs.sh" ${systemd:+--systemd} ${XFSHM_ROOTFS:+--$XFSHM_ROOTFS})
[ "$variant" = both ] && driver=--driver
[ "${XFSHM_ROOTFS:-}" != deb ] || { [ "$XFSHM_KERNEL" = distro ] && [ "$systemd" = overlay ]; } ||
	die "--deb boots Debian's kernel (XFSHM_KERNEL=distro), in the systemd guest"
[ -z "$systemd" ] || [ "$variant" != both ] || die "the systemd guest runs one variant (rust or c)"
kos=()
case $variant in
c) if [ "$XFSHM_KERNEL" = distro ] && [ -z "$driver" ]; then
	kos+=("xfs.ko=$KBUILD/fs/xfs/xfs.ko")
else
	kos+=("xfs.ko=$("$TOP/scripts/build-module.sh" --variant c $driver)")
fi ;;
rust) kos+=("xfs.ko=$("$TOP/scripts/build-module.sh" $driver)") ;;
both) kos+=("xfs-c.ko=$("$TOP/scripts/build-module.sh" --variant c --driver)"
	"xfs-rust.ko=$("$TOP/scripts/build-module.sh" --driver)") ;;
*) die "unknown variant '$variant' (rust, c or both)" ;;
esac
[ -n "$driver" ] && kos+=("xfs_hmdrv.ko=$KBUILD-hmdrv/xfs_hmdrv.ko")
# On Debian's kernel its own xfs.ko is at hand as well, for going back to it (tests/distro).
[ "$XFSHM_KERNEL" = distro ] && kos+=("xfs-stock.ko=$KBUILD/fs/xfs/xfs.ko")
for ko in "${kos[@]}"; do
	[ -f "${ko#*=}" ] || die "no ${ko%%=*} for variant $variant at ${ko#*=}"
done

mkdir -p "$CACHE/runs"
RUN=$(mktemp -d "$CACHE/runs/run.XXXXXX")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -z "$keep" ] && [ "${status:-1}" = 0 ]; then rm -rf "$RUN"; fi
}
trap cleanup EXIT
mkdir -p "$RUN/out"
for ko in "${kos[@]}"; do
	cp "${ko#*=}" "$RUN/${ko%%=*}"
	# What scripts/distro-install.sh checks before installing a module for Debian's kernel.
	[ ! -f "${ko#*=}.imports" ] || cp "${ko#*=}.imports" "$RUN/${ko%%=*}.imports"
done
if [ "${XFSHM_ROOTFS:-}" = deb ]; then
	"$TOP/scripts/build-deb.sh" "$RUN/debs" > /dev/null
fi
mkdir -p "$RUN/bin"
SAMPLES=$("$TOP/scripts/build-samples.sh")
cp "$SAMPLES"/* "$RUN/bin/"
cp "$TOP/scripts/guest-init.sh" "$TOP/scripts/guest-sdinit.sh" "$RUN/"
cp "$TOP/scripts/guest-load.sh" "$RUN/bin/xfshm-load"
flock -u 8
{
	printf 'XFSHM_VARIANT=%q\n' "$variant"
	printf 'XFSHM_KERNEL=%q\n' "$XFSHM_KERNEL"
	printf 'XFSHM_INTERACTIVE=%q\n' "$([ $# -eq 0 ] && echo 1 || echo 0)"
	printf 'XFSHM_ROOT=%q\n' "$systemd"
	printf 'XFSHM_ROOTFS=%q\n' "${XFSHM_ROOTFS:-}"
} > "$RUN/env"
if [ $# -gt 0 ]; then
	printf '%q ' "$@" > "$RUN/cmd"
	echo >> "$RUN/cmd"
fi

if [ $# -eq 0 ] && [ -t 0 ]; then
	stdin=/dev/stdin
	chardev=stdio,id=con,signal=off
else
	stdin=/dev/null
	chardev=stdio,id=con,signal=on
fi

# A kernel whose virtio and 9p drivers are modules (Debian's) boots through an initramfs that
# loads them and mounts the same root.
initrd=()
[ ! -f "$KBUILD/initrd.img" ] || initrd=(-initrd "$KBUILD/initrd.img")
# The systemd guest: its own init, and for --xfs-root the image as a fifth disk (/dev/vde) whose
# writes go to a temporary file, so that every boot starts from the same root filesystem.
init=/sbin/xfshm-init
rootdisk=()
if [ -n "$systemd" ]; then
	init=/sbin/xfshm-sdinit
	# shellcheck disable=SC2054 # -drive's value is one argument, its commas QEMU's
	[ "$systemd" != xfs ] ||
		rootdisk=(-drive file="$ROOTFS.xfs",if=virtio,format=raw,snapshot=on,cache=unsafe)
fi

# A guest that dies before its init runs, or whose kernel reported a problem before then (its
# init checks the log first, scripts/guest-init.sh), is booted again, up to three boots: under TCG
# the kernel has oopsed on an int3 while patching its own code at boot (a static key in
# sched_clock_tick, the clocksource switch in __timekeeping_advance) and KASAN has reported a wild
# access from an interrupt in identify_cpu(), each time before anything of ours was loaded.  Each
# such boot's log is kept as console.boot-N.log and named on stderr; a report after init still
# fails the run.
# The RT kernels (ours, and Debian's with XFSHM_KFLAVOUR=rt) have no KASAN: slub_debug poisons
# freed slab objects and puts red zones around them, so that a write after free (the release of
# a freed monitor's lock) or out of bounds is reported ("BUG kmalloc-N (Not tainted): Poison
# overwritten") when the object is checked next.
kparams=${XFSHM_APPEND:-}
[ "$XFSHM_KERNEL$XFSHM_KFLAVOUR" != rt ] && [ "$XFSHM_KERNEL$XFSHM_KFLAVOUR" != distrort ] ||
	kparams="slub_debug=FZP $kparams"
# The guest's CPUs: one unless --cpus (or XFSHM_CPUS) asks for more.  One CPU boots with
# pci=noacpi: PCI interrupts are routed from the BIOS's table, not by ACPI's _PRT method, which
# under KASAN and TCG ran into ACPICA's 30 s loop timeout once per virtio device, and is slow
# under TCG anyway.  Without X86_MPPARSE the kernel then turns the local APIC off ("SMP
# disabled"), so more CPUs boot without it, and the debug kernel always on one.  Under TCG a
# second CPU costs: a boot took 47 s to its first mount instead of 19, and the shell tests about
# twice as long, so the race tests ask for it (tests/run's stress boot, XFSHM_STRESS_CPUS).
[ "$XFSHM_KERNEL" != debug ] || cpus=1
case $cpus in
1) kparams="pci=noacpi $kparams" ;;
[2-8]) ;;
*) die "--cpus takes 1 to 8, not '$cpus'" ;;
esac
for attempt in 1 2 3; do
	rm -f "$RUN/status" "$RUN/boot-splat" "$RUN/dmesg"
	for d in test:1G scratch:2G rt:1G log:512M; do
		rm -f "$RUN/${d%%:*}.img"
		truncate -s "${d#*:}" "$RUN/${d%%:*}.img"
	done
	set +e
	# XFSHM_QEMU_ARGS adds options (scripts/bench.sh: -icount, for instruction-counted time),
	# XFSHM_APPEND kernel parameters.
	# shellcheck disable=SC2086
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 ${XFSHM_QEMU_ARGS:-} \
		-accel tcg -cpu max -smp "$cpus" -m "$mem" -no-reboot -display none -monitor none -nodefaults \
		-kernel "$KBUILD/arch/x86/boot/bzImage" "${initrd[@]}" \
		-append "console=ttyS0 loglevel=7 log_buf_len=16M root=rootfs rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144 ro init=$init panic=-1 $kparams" \
		-serial file:"$RUN/console.log" \
		-chardev "$chardev" -device virtio-serial-pci -device virtconsole,chardev=con \
		-fsdev local,id=rootfs,path="$ROOTFS",security_model=passthrough,readonly=on \
		-device virtio-9p-pci,fsdev=rootfs,mount_tag=rootfs \
		-fsdev local,id=host,path="$TOP",security_model=none,readonly=on \
		-device virtio-9p-pci,fsdev=host,mount_tag=host \
		-fsdev local,id=xfshm,path="$RUN",security_model=none \
		-device virtio-9p-pci,fsdev=xfshm,mount_tag=xfshm \
		-fsdev local,id=modules,path="$KBUILD/modroot/lib/modules",security_model=none,readonly=on \
		-device virtio-9p-pci,fsdev=modules,mount_tag=modules \
		-drive file="$RUN/test.img",if=virtio,format=raw,cache=unsafe \
		-drive file="$RUN/scratch.img",if=virtio,format=raw,cache=unsafe \
		-drive file="$RUN/rt.img",if=virtio,format=raw,cache=unsafe \
		-drive file="$RUN/log.img",if=virtio,format=raw,cache=unsafe \
		"${rootdisk[@]}" \
		<"$stdin" 2>"$RUN/qemu.err"
	qrc=$?
	set -e
	why=
	if [ $qrc != 0 ] || [ ! -f "$RUN/console.log" ]; then
		: # QEMU failed or timed out: reported below, not booted again
	elif [ ! -f "$RUN/status" ] && ! grep -q 'xfshm: guest init' "$RUN/console.log"; then
		why="died before its init ran"
	elif [ -s "$RUN/boot-splat" ]; then
		why="reported a problem before its init ran: $(head -n1 "$RUN/boot-splat")"
	fi
	if [ -n "$why" ] && [ $attempt -lt 3 ]; then
		mv "$RUN/console.log" "$RUN/console.boot-$attempt.log"
		echo "vm: the guest kernel $why; booting it again (log: $RUN/console.boot-$attempt.log)" >&2
		keep=1
		continue
	fi
	break
done
rm -f "$RUN"/*.img

status=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm: guest timed out after ${timeout_s}s" >&2
	status=124
elif [ "$qrc" != 0 ]; then
	echo "vm: qemu failed with status $qrc: $(tail -n 5 "$RUN/qemu.err")" >&2
	status=125
elif [ ! -f "$RUN/status" ]; then
	echo "vm: the guest did not finish its command (panic or crash?)" >&2
	status=125
else
	status=$(cat "$RUN/status")
fi
# Any kernel splat fails the run, whatever the command said.
# In a boot with both variants the C reference's known splats (which name its source file) are
# allowed; they cannot match anything of the Rust one.
splat_variant=$variant
[ "$variant" = both ] && splat_variant=c
if find_splats "$splat_variant" "$RUN/console.log" "$RUN/dmesg" | head -n 20 > "$RUN/splats"; [ -s "$RUN/splats" ]; then
	echo "vm: the guest kernel reported a problem:" >&2
	sed 's/^/vm:   /' "$RUN/splats" >&2
	[ "$status" = 0 ] && status=126
fi
if [ "$status" != 0 ] || [ -n "$keep" ]; then
	echo "vm: run directory (console.log, dmesg, out/): $RUN" >&2
fi
exit "$status"
