"""An HTML table for the pages wom writes (the run's report)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def html_table(rows: list[list[str]], header: list[str], *, text: int = 1,
                marked: Sequence[bool] = ()) -> str:
    """A table whose first `text` columns are words (left-aligned), the rest numbers."""
    def cls(j: int) -> str:
        return ' class="t"' if j < text else ""

    head = "".join(f"<th{cls(j)}>{escape(h)}</th>" for j, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        mark = ' class="clear"' if i < len(marked) and marked[i] else ""
        cells = "".join(f"<td{cls(j)}>{escape(c)}</td>" for j, c in enumerate(row))
        body.append(f"<tr{mark}>{cells}</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")
