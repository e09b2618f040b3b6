"""A table of measurements as HTML that fits a phone (for a gr.HTML).

A wide screen gets a plain table. Under 500 px (app.py's CSS, `.gs-table`) each row becomes a card: its first cell
as a heading, then its other cells two to a line, each after its column's name, so no column hides past the right
edge of the screen, as the columns of a wide gr.Dataframe do there.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Sequence


def _text(value: Any) -> str:
    """A cell's text: nothing for a missing number (so its card on a phone leaves the line out)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(str(value))


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], elem_class: str = "gs-table") -> str:
    """`rows` under `columns`; the first column names the row (a row header)."""
    head = "".join(f'<th scope="col">{escape(str(name))}</th>' for name in columns)
    body = []
    for row in rows:
        name, *cells = row
        tds = "".join(f'<td data-label="{escape(str(column))}">{_text(value)}</td>' for column, value in zip(columns[1:], cells))
        body.append(f'<tr><th scope="row">{_text(name)}</th>{tds}</tr>')
    return f'<div class="{elem_class}"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
