# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Its variables are for the scripts that source common.sh, which sources this.
# shellcheck disable=SC2034
# Part of common.sh: the kernels (test, debug, rt, bench, distro), their configuration fragments,
# build directories and make.

# Which kernel: "test" (lockdep, sleep-in-atomic checks, XFS_DEBUG; the shell tests and the
# differential runner of make check), "debug" (the test kernel with KASAN, UBSAN, kmemleak,
# fault injection and object debugging; KUnit and the stress tests of make check), "rt" (the test
# kernel with PREEMPT_RT), "bench"
# (production-like; make bench) or "distro" (Debian's stock kernel, linux-image-*-amd64 of the
# same Debian version as our source, or with XFSHM_KFLAVOUR=rt its PREEMPT_RT flavour,
# linux-image-*-rt-amd64; scripts/build-distro.sh).
XFSHM_KERNEL=${XFSHM_KERNEL:-test}
case $XFSHM_KERNEL in
test | debug | rt | bench | distro) ;;
*) die "XFSHM_KERNEL must be test, debug, rt, bench or distro, not '$XFSHM_KERNEL'" ;;
esac
XFSHM_KFLAVOUR=${XFSHM_KFLAVOUR:-}
case $XFSHM_KFLAVOUR in
'' | rt) ;;
*) die "XFSHM_KFLAVOUR must be empty (Debian's generic amd64 flavour) or rt, not '$XFSHM_KFLAVOUR'" ;;
esac
[ -z "$XFSHM_KFLAVOUR" ] || [ "$XFSHM_KERNEL" = distro ] ||
	die "XFSHM_KFLAVOUR=$XFSHM_KFLAVOUR is a flavour of Debian's kernel: it needs XFSHM_KERNEL=distro"

# The config fragment of the chosen kernel: kernel.config and kernel-systemd.config (what the
# systemd guest needs), and for the bench and RT kernels kernel-bench.config's or kernel-rt.config's
# lines in place of the lines of the same symbols; for the debug kernel, kernel.config and
# kernel-debug.config's checkers.
kernel_fragment() {
	local over=$TOP/scripts/kernel-$XFSHM_KERNEL.config keys
	if [ "$XFSHM_KERNEL" = bench ] || [ "$XFSHM_KERNEL" = rt ]; then
		keys=$(grep -E '^CONFIG_' "$over" | sed 's/=.*//' | paste -sd'|')
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-systemd.config" |
			grep -vE "^($keys)="
		grep -E '^CONFIG_' "$over"
	elif [ "$XFSHM_KERNEL" = debug ]; then
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-debug.config"
	else
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-systemd.config"
	fi
}

# How a kernel's .config is made from its fragment: the test and debug kernels from allnoconfig
# (only what the VM and the tests use), the bench kernel from olddefconfig of an empty .config
# (the defaults a distribution starts from: CPU mitigations, ACPI drivers, the network stack).
kernel_base() {
	case $XFSHM_KERNEL in
	bench) echo olddefconfig ;;
	rt) echo "allnoconfig+rt" ;;
	*) echo allnoconfig ;;
	esac
}

# The kernel build directory is keyed by the source version, the config base and the fragment's
# hash (Debian's kernel: by its release).
kbuild_dir() {
	local h
	case $XFSHM_KERNEL in
	distro)
		echo "$CACHE/kbuild-distro-$DISTRO_KREL"
		return
		;;
	test) h=$({ kernel_base; kernel_fragment; } | sha256sum | cut -c1-12) ;;
	*) h=$XFSHM_KERNEL-$({ kernel_base; kernel_fragment; } | sha256sum | cut -c1-12) ;;
	esac
	echo "$CACHE/kbuild-$LINUX_VERSION-$h"
}

kmake() {
	make -C "$KSRC" O="$KBUILD" LLVM="$LLVM_SUFFIX" "$@"
}

# The make variables of a build against $KBUILD: LLVM for the project's kernels; for Debian's,
# the variables of its headers' .kernelvariables, the compiler named as in its .config's
# CONFIG_CC_VERSION_TEXT (the name is part of that text).
kbuild_vars() {
	if [ "$XFSHM_KERNEL" = distro ]; then
		local cc
		cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$KBUILD/.config")
		echo "ARCH=x86 CROSS_COMPILE=x86_64-linux-gnu- CC=${cc:-x86_64-linux-gnu-gcc-16} KERNELRELEASE=$DISTRO_KREL"
	else
		echo "LLVM=$LLVM_SUFFIX"
	fi
}

# make against the kernel build $KBUILD (M= builds of modules): for Debian's kernel in its build
# root.
mmake() {
	if [ "$XFSHM_KERNEL" = distro ]; then
		# shellcheck disable=SC2046
		droot make -C "$KBUILD" $(kbuild_vars) "$@"
	else
		make -C "$KBUILD" LLVM="$LLVM_SUFFIX" "$@"
	fi
}
