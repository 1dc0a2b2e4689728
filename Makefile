# SPDX-License-Identifier: GPL-2.0
#
# Entry points.  Every target installs and builds what it needs (scripts/setup.sh), with the heavy
# outputs cached in ${XDG_CACHE_HOME:-~/.cache}/xfs-healthmon-rs.
#
#   make            build the Rust xfs.ko (and the kernel, the first time)
#   make demo       boot the VM and show the health monitor at work
#   make check      run every test: the UAPI header check, KUnit, then the shell tests on the
#                   Rust and the C xfs.ko
#   make kunit      KUnit suites only
#   make uapi-check the standalone UAPI header against the kernel's xfs_fs.h (host, no VM)
#   make shell-tests [VARIANT=rust|c|both] [TESTS="hm/001 ..."] [GROUP=quick]
#   make vm [VARIANT=rust|c] [SYSTEMD=1|XFSROOT=1] [CMD="..."]   a VM for your own experiments;
#                   SYSTEMD=1 boots systemd as PID 1 with xfsprogs' units, XFSROOT=1 the same
#                   with an XFS root filesystem (Documentation/systemd.rst)
#   make clippy     build the crate with CLIPPY=1
#   make rustfmt / make rustfmtcheck
#   make samples    build the userspace Rust helpers in samples/
#   make bench [BENCH_REPS=5]  the C and Rust monitors side by side on the production-like
#                   kernel: table, CSV, JSON and PNG in bench-out/ (Documentation/benchmarks.rst)
#   make differential [SEEDS="1 2 3"] [EVENTS=10000]  replay scripted and seeded random report
#                   sequences on both monitors in one boot and compare the records
#   make distro [KFLAVOUR=rt]  the Rust xfs.ko for Debian's stock kernel (KFLAVOUR=rt: its
#                   PREEMPT_RT flavour), with Debian's toolchain in a sid build root
#                   (Documentation/distro.rst)
#   make distro-check [KFLAVOUR=rt]  the shell and stress tests on Debian's stock kernel, with our
#                   xfs.ko and with its own (the stress tests: with the C monitor built from
#                   Debian's source with the report driver)
#   make deb        the Debian packages of the module (for Debian's stock kernel, as make distro)
#                   and of the command with its metrics timer, in deb-out/, checked by lintian
#                   (Documentation/distro.rst); make distro-check installs them in a VM
#   make distro-install / make distro-uninstall  on a machine running that kernel: install the
#                   module as /lib/modules/$(uname -r)/updates/xfs.ko, or remove it again
#   make patches    the in-tree patch series against the pristine tree, in patches/
#   make patches-check  the series: git am, checkpatch --strict and rustfmt per patch (make check
#                   runs these), then a build of every prefix with the choice on and kunit.py run
#                   in the patched tree (Documentation/testing.rst)

VARIANT ?= both
GROUP ?=
KFLAVOUR ?= $(XFSHM_KFLAVOUR)

.PHONY: all modules demo check kunit uapi-check shell-tests vm clippy rustfmt rustfmtcheck samples bench \
	differential distro distro-check deb distro-install distro-uninstall patches patches-check clean

all modules:
	scripts/build-module.sh

demo:
	VARIANT=$(if $(filter c,$(VARIANT)),c,rust) scripts/demo.sh

check:
	scripts/check.sh

kunit:
	tests/kunit/run

uapi-check:
	scripts/setup.sh && tests/uapi/check

shell-tests:
	tests/run --variant $(VARIANT) $(if $(GROUP),-g $(GROUP)) $(TESTS)

vm:
	scripts/vm.sh --variant $(if $(filter c,$(VARIANT)),c,rust) $(if $(SYSTEMD),--systemd) \
		$(if $(XFSROOT),--xfs-root) $(CMD)

clippy:
	scripts/build-module.sh CLIPPY=1

rustfmt:
	scripts/rustfmt.sh

rustfmtcheck:
	scripts/rustfmt.sh --check

samples:
	scripts/build-samples.sh

bench:
	scripts/bench.sh

differential:
	tests/differential/run $(if $(SEEDS),--seeds "$(SEEDS)") $(if $(EVENTS),--events $(EVENTS))

patches:
	scripts/patches.sh

patches-check:
	scripts/patches.sh --build

distro:
	XFSHM_KERNEL=distro XFSHM_KFLAVOUR=$(KFLAVOUR) scripts/build-module.sh

distro-check:
	XFSHM_KERNEL=distro XFSHM_KFLAVOUR=$(KFLAVOUR) tests/run --variant $(VARIANT) -x cli $(TESTS)

deb:
	XFSHM_KFLAVOUR=$(KFLAVOUR) scripts/build-deb.sh

distro-install:
	scripts/distro-install.sh install $(KO)

distro-uninstall:
	scripts/distro-install.sh uninstall

clean:
	@echo "build outputs live in the cache; remove $${XDG_CACHE_HOME:-$$HOME/.cache}/xfs-healthmon-rs to start over"
