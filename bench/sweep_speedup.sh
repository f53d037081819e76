#!/bin/bash
# `ctxlab sweep` speed: MPI 2 ranks vs 1 rank on 2 cores (a grid of
# single-threaded n-gram points), --jobs 2, and the sweep's own overhead on
# a grid of n-gram points with D up to 1e7.  Checks that every run gives the
# same results.  Usage: bench/sweep_speedup.sh [path/to/ctxlab]
set -e
B=${1:-./build/ctxlab}
CORES=${CORES:-0,1}
# shared memory only (pml ob1 skips UCX's device probing: 0.2 s of MPI_Init)
M="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader
   --mca btl_vader_single_copy_mechanism none"
E='{"language": {"family": "markov", "vocab": 4, "order": 2, "seed": 3},
    "models": [{"model": "ngram"}],
    "grid": {"context": [1, 2, 3, 4], "train_tokens": [3000000, 10000000], "seed": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]},
    "eval_tokens": 65536}'
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
secs() { local t0; t0=$(now); "$@"; echo "$(now) - $t0" | bc; }
one=$(secs taskset -c $CORES $B sweep "$E" --out $T/s --threads-per-run 1 -q)
echo "1 process:        $one s"
# CPU seconds (user + sys) of each rank: on a machine whose cores are shared
# (a loaded VM) wall time says little; with a core per rank the wall time is
# the busiest rank's CPU time.
if $B sweep --help | grep -q "This build has MPI"; then
  r1=$(secs taskset -c $CORES $M -np 1 /usr/bin/time -f "%U %S" -a -o $T/cpu1 $B sweep "$E" --out $T/r1 --threads-per-run 1 -q)
  r2=$(secs taskset -c $CORES $M -np 2 /usr/bin/time -f "%U %S" -a -o $T/cpu2 $B sweep "$E" --out $T/r2 --threads-per-run 1 -q)
  echo "mpirun -np 1:     $r1 s   rank CPU s: $(awk '{printf "%.2f ", $1 + $2}' $T/cpu1)"
  echo "mpirun -np 2:     $r2 s   rank CPU s: $(awk '{printf "%.2f ", $1 + $2}' $T/cpu2)"
  echo "speedup: wall $(echo "scale=2; $r1 / $r2" | bc), CPU of 1 rank / CPU of the busiest of 2 ranks" \
       "$(awk 'NR == FNR {one = $1 + $2; next} {c = $1 + $2; if (c > m) m = c} END {printf "%.2f", one / m}' $T/cpu1 $T/cpu2)"
fi
# The machine's own ceiling: the two halves of the grid as two independent
# processes at once (no sweep machinery shared); on 2 real cores this is ~2.
HALF1=${E/\[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12\]/[1, 2, 3, 4, 5, 6]}
HALF2=${E/\[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12\]/[7, 8, 9, 10, 11, 12]}
both() {
  taskset -c $CORES $B sweep "$HALF1" --out $T/h1 --threads-per-run 1 -q &
  taskset -c $CORES $B sweep "$HALF2" --out $T/h2 --threads-per-run 1 -q
  wait
}
h=$(secs both)
echo "2 independent halves at once: $h s   ceiling $(echo "scale=2; $one / $h" | bc)"
j2=$(secs taskset -c $CORES $B sweep "$E" --out $T/j --threads-per-run 1 --jobs 2 -q)
echo "--jobs 2:         $j2 s   speedup $(echo "scale=2; $one / $j2" | bc)"
/usr/bin/python3 - $T <<'PY'
import json, os, sys
T = sys.argv[1]
def load(d):
    lines = [json.loads(l) for l in open(os.path.join(T, d, "results.jsonl"))]
    for l in lines:
        del l["time_s"], l["measured"]["tokens_per_s"]
    return sorted(lines, key=lambda l: l["index"])
ref = load("s")
same = all(load(d) == ref for d in os.listdir(T)
           if os.path.isdir(os.path.join(T, d)) and not d.startswith("h"))
print("results identical across runs:", same)
PY
O='{"language": "tuned-trigram",
    "models": [{"model": "ngram"}, {"model": "ngram", "smoothing": "kneser-ney"}],
    "grid": {"context": [0, 1, 2, 3, 4, 5, 6], "train_tokens": [1000, 10000, 100000, 1000000, 10000000]},
    "eval_tokens": 65536}'
taskset -c $CORES $B sweep "$O" --out $T/ov --threads-per-run 1 2>&1 | tail -1
