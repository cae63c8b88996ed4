"""Gzipped size of the widget: the launcher a page loads, and what the chat loads on first open.

Budgets (DESIGN.md): launcher ≤ 10 KB, everything on first open ≤ 40 KB, gzipped.
Prints one JSON object.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from _support import ROOT, emit

STATIC = ROOT / "helpline" / "static"


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def main() -> None:
    launcher = STATIC / "widget.js"
    chat_files = sorted(p for p in (STATIC / "widget").rglob("*") if p.is_file() and not p.name.endswith(".map"))
    if not launcher.exists() or not chat_files:
        raise SystemExit("build the front end first: make build")
    launcher_gz = gz(launcher)
    chat_gz = sum(gz(p) for p in chat_files)
    emit(
        {
            "benchmark": "widget_size",
            "launcher_gzip_bytes": launcher_gz,
            "chat_gzip_bytes": chat_gz,
            "first_open_gzip_bytes": launcher_gz + chat_gz,
            "chat_files": [str(p.relative_to(STATIC)) for p in chat_files],
            "budget_launcher_bytes": 10 * 1024,
            "budget_first_open_bytes": 40 * 1024,
            "within_budget": launcher_gz <= 10 * 1024 and launcher_gz + chat_gz <= 40 * 1024,
        }
    )


if __name__ == "__main__":
    main()
