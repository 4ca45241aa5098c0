"""Numbers that buttons carry (ids, pages). Callback data can be forged: a modified client sends any
string, so a number is checked against what the database can hold before it reaches a query (the id
columns are INTEGER, 32 bits on PostgreSQL; SQLite refuses integers beyond 64 bits). A button with a
number out of range matches no handler, like any unknown button."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

ID_MAX = 2**31 - 1
DbId = Annotated[int, Field(ge=0, le=ID_MAX)]
PageNo = Annotated[int, Field(ge=0, le=100_000)]


def parse_id(text: str) -> int | None:
    """A decimal id typed or carried as text; None if it is not one (str.isdigit() also accepts
    digits int() cannot read, such as '²')."""
    if not text.isdecimal() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= ID_MAX else None
