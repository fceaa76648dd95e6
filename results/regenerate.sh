#!/usr/bin/env bash
# Regenerate the example run folders, figures and reports the README shows:
#     bash results/regenerate.sh
# (their timeseries.csv stays out of git; everything else in results/examples/ is committed)
set -euo pipefail
cd "$(dirname "$0")/.."
bash install.sh > /dev/null
wom=.venv/bin/wom
for s in focused-vs-broad bass quality-revenue buyer-payer-user mindset-vs-vertical; do
    rm -rf "results/examples/$s"
    "$wom" run "scenarios/$s.yaml" --out "results/examples/$s" --quiet
done
flag=results/examples/focused-vs-broad
"$wom" animate scenarios/focused-vs-broad.yaml -s focused -s broad --out "$flag/spread.gif"
"$wom" snapshot scenarios/focused-vs-broad.yaml -s focused --step 12 --out "$flag/snapshot.png"
"$wom" report "$flag"
rm -rf results/examples/focused-vs-broad-optimize
"$wom" optimize scenarios/focused-vs-broad.yaml --out results/examples/focused-vs-broad-optimize \
    --quiet
rm -rf results/examples/crossover-sweep results/examples/chasm-sensitivity \
    results/examples/mindset-vs-vertical-sweep
"$wom" sweep scenarios/crossover.yaml --out results/examples/crossover-sweep
"$wom" sweep scenarios/mindset-vs-vertical.yaml --out results/examples/mindset-vs-vertical-sweep
"$wom" sensitivity scenarios/chasm.yaml --method sobol --n 128 -r 10 --output advantage \
    -p network.mixing=0.02:0.42 -p 'segments.*.references=0:3' \
    -p dynamics.generic_resonance=0.3:0.9 -p budget.total=10000:80000 \
    --out results/examples/chasm-sensitivity
rm -rf results/examples/medical-innovation-fit results/examples/from-today-fit \
    results/examples/from-today
"$wom" fit data/medical-innovation/fit.yaml --adoptions data/medical-innovation/people.csv \
    --out results/examples/medical-innovation-fit --quiet
"$wom" fit scenarios/from-today.yaml --adoptions data/crm/new-customers.csv \
    --out results/examples/from-today-fit --quiet
"$wom" run results/examples/from-today-fit/fitted.yaml --customers data/crm/customers.csv \
    --out results/examples/from-today --quiet
