"""The one-line summary of a failed run's report, shared by every command."""

from __future__ import annotations

from jupyter_ext.bridge.error_text import last_line, strip_colours

REPORT = (
    "\x1b[0;31m---------------------------------------------------------------\x1b[0m\n"
    "\x1b[0;31mZeroDivisionError\x1b[0m  Traceback (most recent call last)\n"
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n----> 1 1/0\n\n"
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero\n\n  \n"
)


def test_the_exception_line_without_colours_or_trailing_blanks() -> None:
    assert last_line(REPORT) == "ZeroDivisionError: division by zero"


def test_blank_reports_have_no_line() -> None:
    assert last_line("") is None and last_line("\n \x1b[0m\n") is None


def test_colours_and_cursor_moves_are_removed_and_text_kept() -> None:
    assert strip_colours("\x1b[1;31mred\x1b[0m \x1b[2Kplain") == "red plain"
