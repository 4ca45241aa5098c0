"""The one kind of error every `lapor` command reports the same way."""
from __future__ import annotations


class CliError(Exception):
    """A problem the operator can fix: `main` prints it as one line, `lapor: ...`, and exits 2.
    The message names what is wrong and the form expected."""
