# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced (bash): whether an xfs.ko built for Debian's kernel can load into the kernel running
# here, asked before anything is changed.  scripts/distro-install.sh asks it of the module it is
# given; scripts/build-deb.sh copies this function into the preinst of the module package, where
# it is asked again on the machine that installs the package.

# xfshm_check_module KREL SIGNED IMPORTS: a module built for kernel release KREL, signed (yes or
# no), that takes from the kernel the symbols listed in the file IMPORTS, whose first line names
# the Debian upload it was built for ("# xfs.ko for KREL, Debian VERSION: ...", as
# scripts/build-module.sh writes it; no such file skips those checks).  Returns 0 when nothing
# speaks against loading it, with a warning on stderr for each check that cannot be made here;
# otherwise prints why not (a phrase whose subject is the module) and returns 1.
xfshm_check_module() {
	local krel=$1 signed=$2 imports=$3 running want missing
	running=$(uname -r)
	if [ "$krel" != "$running" ]; then
		echo "is built for $krel, this machine runs $running"
		return 1
	fi
	if [ "$signed" != yes ] && [ -r /sys/kernel/security/lockdown ] &&
		! grep -q '\[none\]' /sys/kernel/security/lockdown; then
		echo "is not signed and the kernel is locked down ($(cat /sys/kernel/security/lockdown)): sign it with your Machine Owner Key first"
		return 1
	fi
	if [ ! -f "$imports" ]; then
		echo "warning: no $imports: cannot check the module's symbols against this kernel" >&2
		return 0
	fi
	want=$(sed -n '1s/^# xfs.ko for [^ ]*, Debian \([^ :]*\):.*/\1/p' "$imports")
	case $(uname -v) in
	*"Debian $want "*) ;;
	*Debian*)
		echo "is built for Debian's $want of $krel, this machine runs: $(uname -v)"
		return 1
		;;
	*) echo "warning: cannot tell the Debian version of this kernel from: $(uname -v)" >&2 ;;
	esac
	if ! grep -q ' __ksymtab_' /proc/kallsyms; then
		echo "warning: /proc/kallsyms lists no exports (no KALLSYMS_ALL): symbols not checked" >&2
		return 0
	fi
	missing=$(grep -v '^#' "$imports" | LC_ALL=C sort -u |
		LC_ALL=C comm -23 - <(awk '$3 ~ /^__ksymtab_/ { print substr($3, 11) }' /proc/kallsyms |
			LC_ALL=C sort -u))
	if [ -n "$missing" ]; then
		echo "takes symbols this kernel does not export ($(wc -l <<<"$missing"); its Rust crates differ?), first: $(head -n 3 <<<"$missing" | tr '\n' ' ')"
		return 1
	fi
	return 0
}
