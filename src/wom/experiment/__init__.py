"""Running scenarios: replicates and their streams, the runner, memory checks, sweeps on
local processes or Dask, and sensitivity analyses."""

from wom.experiment import analysis, sensitivity, sweep
from wom.experiment.customers import Customers, load_customers, resolve_customers
from wom.experiment.memory import MemoryRefusalError, check_memory, estimate
from wom.experiment.replicate import (
    CHURN,
    CUSTOMERS,
    DYNAMICS,
    LAYOUT,
    MESA,
    PLAN,
    POPULATION,
    Replicate,
    stream,
)
from wom.experiment.runner import default_workers, run, run_replicate

__all__ = ["CHURN", "CUSTOMERS", "DYNAMICS", "LAYOUT", "MESA", "PLAN", "POPULATION", "Customers",
           "MemoryRefusalError", "Replicate", "analysis", "check_memory", "default_workers",
           "estimate", "load_customers", "resolve_customers", "run", "run_replicate",
           "sensitivity", "stream", "sweep"]
