# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# bench/run.sh, the core-placement control: the core-to-core round trip
# (build/bench/c2c_latency) before and after each trial. Sourced by
# bench/run.sh.

# The host of this VM places the two vCPUs, and moves them, without the guest
# seeing it (no steal time): the round trip of a cache line between the two
# forwarding cores goes from about 60 ns to 110 or 350 ns and back, and the
# packet rate of either driver follows. c2c_latency measures that round trip
# in some 40 ms, before and after each trial, when no testpmd runs.
c2c_ok=0   # 1 while the program answers

c2c_used=0 # 1 once it has given a reading

# Says, once, that the run goes on without the control.
c2c_off() {
	c2c_ok=0
	echo "bench: cannot control for core placement: $1;" \
		"trials are not checked for a change of the core-to-core latency" >&2
}

# Sets $c2c_ns to the round trip between the forwarding cores now, in ns,
# or to "-" without the program.
c2c_sample() {
	local out rc=0 msg
	c2c_ns=-
	[ "$c2c_ok" = 1 ] || return 0
	out=$("$c2c" --cpus "$fwd_cpus" 2>"$workdir/c2c.err") || rc=$?
	if [ "$rc" = 0 ] && isnum "$out"; then
		c2c_ns=$out
		c2c_used=1
	elif [ "$rc" = 0 ]; then
		c2c_off "$c2c printed '$out', not a number of ns"
	else
		msg=$(head -n 1 "$workdir/c2c.err")
		c2c_off "$c2c failed (exit $rc)${msg:+: $msg}"
	fi
}

# max/min of the readings given, as a percentage above 1 ("-" are skipped);
# prints nothing with fewer than two readings.
c2c_spread() {
	echo "$*" | awk '{
		for (i = 1; i <= NF; i++) {
			if ($i == "-") continue
			if (n == 0 || $i < lo) lo = $i
			if (n == 0 || $i > hi) hi = $i
			n++
		} }
		END { if (n >= 2 && lo > 0) printf "%.0f", 100 * (hi / lo - 1) }'
}
