"""Pictures and pages: spread plots, the conversation graph drawn, sweep figures, the HTML
report, and the run folder with all of them (:func:`save`)."""

from wom.viz.attributes import attribute_figure
from wom.viz.fits import fit_figure, save_fit
from wom.viz.outputs import save
from wom.viz.plots import plot_adoption, plot_run
from wom.viz.report import write_report
from wom.viz.snapshot import SpreadFrames, animate, snapshot_figure, spread
from wom.viz.spread import (
    adoption_figure,
    causes_figure,
    differences_figure,
    penetration_figure,
    segments_figure,
)
from wom.viz.style import save_figure
from wom.viz.sweeps import phase_figure, sensitivity_figure

__all__ = [
           "SpreadFrames",
           "adoption_figure",
           "animate",
           "attribute_figure",
           "causes_figure",
           "differences_figure",
           "fit_figure",
           "penetration_figure",
           "phase_figure",
           "plot_adoption",
           "plot_run",
           "save",
           "save_figure",
           "save_fit",
           "segments_figure",
           "sensitivity_figure",
           "snapshot_figure",
           "spread",
           "write_report",
]
