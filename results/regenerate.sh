#!/usr/bin/env bash
# Regenerate the example run folders, figures and reports the README shows:
#     bash results/regenerate.sh
# (their timeseries.csv stays out of git; everything else in results/examples/ is committed)
set -euo pipefail
cd "$(dirname "$0")/.."
bash install.sh > /dev/null
wom=.venv/bin/wom
for s in focused-vs-broad bass; do
    rm -rf "results/examples/$s"
    "$wom" run "scenarios/$s.yaml" --out "results/examples/$s" --quiet
done
flag=results/examples/focused-vs-broad
"$wom" animate scenarios/focused-vs-broad.yaml -s focused -s broad --out "$flag/spread.gif"
"$wom" snapshot scenarios/focused-vs-broad.yaml -s focused --step 12 --out "$flag/snapshot.png"
"$wom" report "$flag"
