"""A figure shown week after week as PNG, redrawing only what changed (blitting).

The first frame lays the figure out and draws everything except its changing artists
(:attr:`GraphFigure.dynamic <wom.app.figures.GraphFigure.dynamic>`), and keeps that image;
every later frame puts it back and draws only the changing artists over it, then encodes
the pixels. For the flagship (16,000 people, two panels of 3,000 people and their ties) that
is a few milliseconds of drawing instead of a full redraw (see ``benchmarks/app.py``). When
something else changes (the curves' y axis grows), the background is drawn again, in the
layout of the first frame.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Protocol

import numpy as np

from wom.app.figures import CurvesFigure, GraphFigure

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

    from wom.app.lesson import Lesson

#: zlib level of the PNGs: 1 encodes a frame several times faster than matplotlib's default
#: for a file about as small (they are mostly white).
PNG_LEVEL = 1


class Drawn(Protocol):
    """A figure of a lesson and its changing artists (:class:`GraphFigure`, ...)."""

    fig: Figure

    @property
    def dynamic(self) -> list[Artist]: ...

    def update(self, lesson: Lesson) -> bool: ...


def png(rgba: np.ndarray) -> bytes:
    """``uint8[h, w, 4]`` pixels (opaque) as PNG bytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(
        out, format="PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


class Picture:
    """`drawn`'s figure as PNG frames, the static part drawn once per layout.

    Attributes
    ----------
    full_draws
        Frames that laid out and drew the whole figure (the first, and one per change
        beyond :attr:`Drawn.dynamic`); the others drew only the changing artists.
    """

    def __init__(self, drawn: Drawn) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.drawn = drawn
        self.canvas = FigureCanvasAgg(drawn.fig)
        self.background: object | None = None
        self.full_draws = 0
        # Lay the figure out once, everything shown (the titles take their room), and keep
        # that layout: frames change what is drawn, never where.
        drawn.fig.set_layout_engine("constrained")
        drawn.fig.draw_without_rendering()
        drawn.fig.set_layout_engine("none")

    def _draw_background(self) -> None:
        fig, dynamic = self.drawn.fig, self.drawn.dynamic
        # Everything but the changing artists: the image every frame starts from.
        for artist in dynamic:
            artist.set_visible(False)
        try:
            self.canvas.draw()
        finally:
            for artist in dynamic:
                artist.set_visible(True)
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.full_draws += 1

    def frame(self, lesson: Lesson) -> bytes:
        """`lesson` as it is now, as PNG bytes."""
        if self.drawn.update(lesson) or self.background is None:
            self._draw_background()
        else:
            self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self.drawn.dynamic:
            artist.draw(renderer)
        return png(np.asarray(self.canvas.buffer_rgba()))


def graph_picture(lesson: Lesson) -> Picture:
    """The conversation graph of `lesson`, for :meth:`Picture.frame`."""
    return Picture(GraphFigure(lesson))


def curves_picture(lesson: Lesson) -> Picture:
    """The curves of `lesson`, for :meth:`Picture.frame`."""
    return Picture(CurvesFigure(lesson))
