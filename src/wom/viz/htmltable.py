"""An HTML table for the pages wom writes (the run's report), and their line on how they were
made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def made_with(what: str, meta: Mapping[str, object]) -> str:
    """"This run was made with: COMMAND" (and the folder it was typed in, which its relative
    paths are relative to), or nothing when the manifest has no command."""
    command = meta.get("command")
    if not command:
        return ""
    folder = meta.get("cwd")
    where = f" in <code>{escape(str(folder))}</code>" if folder else ""
    return f"<p>This {what} was made{where} with:</p><pre>{escape(str(command))}</pre>"
