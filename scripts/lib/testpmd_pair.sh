# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Two dpdk-testpmd processes joined by vhost-user: a backend running DPDK's
# net_vhost (core 0) and a frontend running net_vpmd loaded with -d (core 1),
# both in io forwarding, so frames circulate. Sourced by scripts/run.sh and
# the integration tests.
#
#   pair_init DIR PMD_SO LAYOUT MODE [QUEUES]   (split|packed, client|server, pairs)
#   pair_start                         start both; the frontend reads commands
#   pair_start_frontend, pair_start_backend   the two halves, for a test that spaces them
#   pair_send CMD...                   a testpmd command to the frontend
#   pair_wait_forwarding               until the backend forwards (seed after this)
#   pair_quit                          quit the frontend, wait for it; returns its status
#   pair_cleanup                       kill what is left, by PID; remove prefixes
#   pair_mbufs_in_use                  after a "dump_mempool": mbufs out of mb_pool_0, and its size
#   pair_front_hugepages DIR           after pair_init: the frontend on hugepages mounted at DIR
#                                      (for DPDK secondary processes; the caller provides the pages)
#
# Environment: PAIR_LOG_LEVEL, PAIR_BACK_LOG_LEVEL (--log-level of either side).
# Logs: $PAIR_DIR/front.log and $PAIR_DIR/back.log. Processes, sockets and
# EAL file prefixes are unique per pair.

pair_init() {
	PAIR_DIR=$1
	PAIR_PMD=$2
	PAIR_LAYOUT=$3
	PAIR_MODE=$4
	PAIR_QUEUES=${5:-1}
	PAIR_ID=$$-$RANDOM-$PAIR_LAYOUT-$PAIR_MODE
	PAIR_SOCK=$PAIR_DIR/vhost.sock
	PAIR_BACK_PID=
	PAIR_FRONT_PID=
	PAIR_VDEV="net_vpmd0,path=$PAIR_SOCK,queues=$PAIR_QUEUES"
	PAIR_VHOST="net_vhost0,iface=$PAIR_SOCK,queues=$PAIR_QUEUES"
	[ "$PAIR_LAYOUT" = packed ] && PAIR_VDEV+=",packed_vq=1"
	if [ "$PAIR_MODE" = server ]; then
		PAIR_VDEV+=",server=1"
		PAIR_VHOST+=",client=1"
	fi
	PAIR_EAL=(--no-huge -m 1024 --no-pci)
	PAIR_FRONT_EAL=("${PAIR_EAL[@]}")
	PAIR_APP=(--no-mlockall --total-num-mbufs=16384 --forward-mode=io
		--rxq="$PAIR_QUEUES" --txq="$PAIR_QUEUES")
}

# Opt-in: the frontend's memory on hugepages mounted at $1, so that DPDK
# secondary processes (dpdk-proc-info, dpdk-pdump) can attach to it; they
# cannot to a --no-huge primary. One file per memory list keeps the
# vhost-user memory table within its 8 regions. Its pool stays as small
# as the default's 16384 mbufs.
pair_front_hugepages() {
	PAIR_FRONT_EAL=(--huge-dir="$1" --single-file-segments --no-pci)
}

# The backend runs until its stdin closes: a FIFO held open on fd 4.
pair_start_backend() {
	mkfifo "$PAIR_DIR/back.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 "${PAIR_EAL[@]}" \
		--file-prefix="vpmd-back-$PAIR_ID" --vdev "$PAIR_VHOST" \
		${PAIR_BACK_LOG_LEVEL:+--log-level="$PAIR_BACK_LOG_LEVEL"} -- -a "${PAIR_APP[@]}" \
		<"$PAIR_DIR/back.in" >"$PAIR_DIR/back.log" 2>&1 &
	PAIR_BACK_PID=$!
	exec 4>"$PAIR_DIR/back.in"
}

pair_start_frontend() {
	mkfifo "$PAIR_DIR/front.in"
	# EAL refuses -d PATH below a world-writable directory (a clone in /tmp):
	# load by name through LD_LIBRARY_PATH instead.
	LD_LIBRARY_PATH="$(dirname "$PAIR_PMD")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 "${PAIR_FRONT_EAL[@]}" \
		--file-prefix="vpmd-front-$PAIR_ID" -d "$(basename "$PAIR_PMD")" --vdev "$PAIR_VDEV" \
		--log-level="${PAIR_LOG_LEVEL:-pmd.net.vpmd.*:info}" -- -i "${PAIR_APP[@]}" \
		<"$PAIR_DIR/front.in" >"$PAIR_DIR/front.log" 2>&1 &
	PAIR_FRONT_PID=$!
	exec 3>"$PAIR_DIR/front.in"
}

# Whoever listens goes first: the backend in client mode, the frontend in server mode.
pair_start() {
	local i
	if [ "$PAIR_MODE" = server ]; then
		pair_start_frontend
		pair_start_backend
	else
		pair_start_backend
		for i in $(seq 50); do [ -S "$PAIR_SOCK" ] && break; sleep 0.1; done
		pair_start_frontend
	fi
}

# A frontend that died must fail the caller, not kill it with SIGPIPE.
pair_send() {
	(trap '' PIPE; printf '%s\n' "$*" >&3) 2>/dev/null
}

# testpmd drops what arrives before its forwarding starts: seed traffic only
# once the backend forwards, or the first burst is lost and nothing circulates.
pair_wait_forwarding() {
	local i
	for i in $(seq 100); do
		grep -q "Press enter to exit" "$PAIR_DIR/back.log" 2>/dev/null && { sleep 0.5; return 0; }
		sleep 0.1
	done
	return 1
}

pair_quit() {
	local i rc
	pair_send quit
	exec 3>&-
	for i in $(seq 100); do kill -0 "$PAIR_FRONT_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PAIR_FRONT_PID"
	rc=$?
	PAIR_FRONT_PID=
	return $rc
}

# Runs from EXIT traps, also under set -e: nothing here may abort it.
pair_cleanup() {
	local pid
	exec 3>&- 4>&-
	for pid in $PAIR_FRONT_PID $PAIR_BACK_PID; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PAIR_FRONT_PID=
	PAIR_BACK_PID=
	rm -rf "/var/run/dpdk/vpmd-back-$PAIR_ID" "/var/run/dpdk/vpmd-front-$PAIR_ID"
}

# The backend dies as in a crash (SIGKILL). In client mode its socket file
# stays behind; a new backend must be able to bind it, so it goes.
pair_kill_backend() {
	kill -KILL "$PAIR_BACK_PID" 2>/dev/null || true
	wait "$PAIR_BACK_PID" 2>/dev/null || true
	PAIR_BACK_PID=
	exec 4>&-
	rm -f "$PAIR_DIR/back.in"
	rm -rf "/var/run/dpdk/vpmd-back-$PAIR_ID"
	[ "$PAIR_MODE" = server ] || rm -f "$PAIR_SOCK"
	mv "$PAIR_DIR/back.log" "$PAIR_DIR/back.old.log"
}


# Mbufs not back in the frontend's pool, from the last "dump_mempool" in its
# log: size less those cached per lcore less those in the common pool.
# Prints "IN_USE SIZE", or nothing when there was no dump.
pair_mbufs_in_use() {
	awk '
		/^mempool <mb_pool_0>/ { on = 1 }
		on && /^  size=/ { split($0, a, "="); s = a[2] }
		on && /total_cache_count=/ { split($0, a, "="); c = a[2] }
		on && /common_pool_count=/ { split($0, a, "="); print s - c - a[2], s; exit }
	' "$PAIR_DIR/front.log"
}
