# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# bench/run.sh, the report's arithmetic: medians and spreads, the paired
# ratios, JSON of one side of a row. Sourced by bench/run.sh, whose
# per-row tables (vals, pairs, pair_ok, c2cb, c2ca ...) it reads.

# stats "v1 v2 ..." -> "median min max" (empty input -> "- - -")
stats() {
	echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f\n", m, v[1], v[NR]
		}'
}

jl() { # "v1 - v2 " -> "[v1, null, v2]"
	echo "$1" | awk '{ for (i = 1; i <= NF; i++) s = s (i > 1 ? ", " : "") ($i == "-" ? "null" : $i) }
		END { print "[" s "]" }'
}

jn() { if [ "$1" = - ]; then echo null; else echo "$1"; fi; }

# Median of the core-to-core readings of one side of a row, before and
# after each of its trials, in ns ("-" without any).
c2c_median() {
	local m
	read -r m _ _ <<<"$(stats "$(echo "${c2cb["$1 $2"]:-} ${c2ca["$1 $2"]:-}" | sed "s/-//g")")"
	[ "$m" = - ] || m=$(awk -v m="$m" 'BEGIN{printf "%.0f", m}')
	echo "$m"
}

# The A/B ratios of a row's pairs that "paired" takes: all but those whose
# core-to-core readings disagree (without the program, all of them). Run
# together, trials 2k-1 and 2k had the drivers in swapped places: each such
# couple gives the geometric mean of its two ratios, in which the place
# cancels out.
paired_used() {
	local row=$1
	paste -d' ' <(echo "${pairs["$row"]:-}" | xargs -n 1) <(echo "${pair_ok["$row"]:-}" | xargs -n 1) |
		awk -v fold="$together" '
		{ r[NR] = ($1 != "-" && $1 != "" && $2 != "false") ? $1 : "" }
		END {
			for (i = 1; i <= NR; i += 1 + fold) {
				a = r[i]
				b = fold ? r[i + 1] : ""
				if (a != "" && b != "") printf "%.3f\n", sqrt(a * b)
				else if (a != "") print a
				else if (b != "") print b
			}
		}' | xargs
}

# How many of a row's pairs count in "paired".
paired_count() {
	paste -d' ' <(echo "${pairs["$1"]:-}" | xargs -n 1) <(echo "${pair_ok["$1"]:-}" | xargs -n 1) |
		awk '$1 != "-" && $1 != "" && $2 != "false" { n++ } END { print n + 0 }'
}

# One side of a row as a JSON object.
json_side() {
	local row=$1 s=$2
	printf '{"driver": "%s", "median_mpps": %s, "min_mpps": %s, "max_mpps": %s, "trials_mpps": %s, "rx_pps": %s, "tx_pps": %s, "backend_rx_pps": %s, "backend_tx_pps": %s, "other_cpu_pct": %s, "c2c_before_ns": %s, "c2c_after_ns": %s, "c2c_median_ns": %s, "trials_cycles_per_packet": %s, "median_cycles_per_packet": %s, "trials_busy_pct": %s, "median_busy_pct": %s}' \
		"$(kind_of "$s")" "$(jn "$3")" "$(jn "$4")" "$(jn "$5")" "$(jl "${vals["$row $s"]:-}")" \
		"$(jl "${rawrx["$row $s"]:-}")" "$(jl "${rawtx["$row $s"]:-}")" \
		"$(jl "${berx["$row $s"]:-}")" "$(jl "${betx["$row $s"]:-}")" \
		"$(jl "${foreign["$row $s"]:-}")" "$(jl "${c2cb["$row $s"]:-}")" \
		"$(jl "${c2ca["$row $s"]:-}")" "$(jn "$(c2c_median "$row" "$s")")" \
		"$(jl "${cycles["$row $s"]:-}")" "$(jn "$(stats "$(cycles_of "$row" "$s")" | cut -d' ' -f1)")" \
		"$(jl "${busy["$row $s"]:-}")" "$(jn "$(busy_median "$row" "$s")")"
}

# The figures of a per-trial list without the "-" of trials that had none.
present() {
	echo "$1" | tr ' ' '\n' | grep -v '^-\?$' | xargs
}

# The cycles per packet of side S of ROW over its trials that had one.
cycles_of() {
	present "${cycles["$1 $2"]:-}"
}

# Median A / median B of a row's cycles per packet, or "-".
cycles_ratio() {
	local a b
	read -r a _ _ <<<"$(stats "$(cycles_of "$1" A)")"
	read -r b _ _ <<<"$(stats "$(cycles_of "$1" B)")"
	awk -v a="$a" -v b="$b" 'BEGIN{ if (a != "-" && b != "-" && b > 0) printf "%.3f", a / b; else print "-" }'
}

# A number with one decimal, "-" as it is.
one_decimal() {
	if [ "$1" = - ]; then echo -; else awk -v v="$1" 'BEGIN{printf "%.1f", v}'; fi
}

# Median busy share of side S of ROW's forwarding thread, in % with one
# decimal, or "-".
busy_median() {
	local m
	read -r m _ _ <<<"$(stats "$(present "${busy["$1 $2"]:-}")")"
	one_decimal "$m"
}
