"""README's "Security model" shows the matrix the code enforces (lapor/security_matrix.py)."""
from __future__ import annotations

from pathlib import Path

from lapor.security_matrix import table


def test_readme_matrix_is_the_policys():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert table() in readme, "README's matrix is stale: paste `python -m lapor.security_matrix` into it"
