"""Results as tables and statistics, and the run folder on disk."""

from wom.store.folder import (
    MANIFEST,
    REPORT,
    SCENARIO_FILE,
    TABLES,
    atomic_folder,
    fresh_names,
    leading_comments,
    link_note,
    missing_folders,
    new_run_dir,
    remove_empty,
    rename_noreplace,
    started_stamp,
    write_csv,
    write_manifest,
    write_run,
)
from wom.store.partials import (
    PARTIAL,
    final_name,
    hidden_twin,
    place,
    remove_stale_partials,
    replace_whole,
    writable,
)
from wom.store.readback import RunFolder, read_run
from wom.store.results import COMPARISON_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS, Results
from wom.store.stats import Difference, Verdict, mean_interval, nanmean, pair, verdict

__all__ = ["COMPARISON_COLUMNS", "MANIFEST", "PARTIAL", "REPORT", "SCENARIO_FILE",
           "SUMMARY_COLUMNS", "TABLES", "TIMESERIES_COLUMNS", "Difference", "Results",
           "RunFolder", "Verdict", "atomic_folder", "final_name", "fresh_names", "hidden_twin",
           "leading_comments", "link_note", "mean_interval", "missing_folders", "nanmean",
           "new_run_dir", "pair", "place", "read_run", "remove_empty", "remove_stale_partials",
           "rename_noreplace", "replace_whole", "started_stamp", "verdict", "writable",
           "write_csv", "write_manifest", "write_run"]
