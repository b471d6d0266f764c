"""Location of the Jinja card templates of `model_cards/` in a checkout or an installed wheel."""

from __future__ import annotations

import sys
from pathlib import Path

_SEARCH_PATHS = (
    Path(__file__).resolve().parents[1] / "model_cards",  # source checkout / editable install
    Path(sys.prefix) / "share" / "lexsign_hf" / "model_cards",  # wheel install (pyproject data-files)
)


def card_template_path(name: str) -> Path:
    """Path of the card template `name` (e.g. ``"lexsign_dataset.md.jinja"``)."""
    for folder in _SEARCH_PATHS:
        if (folder / name).is_file():
            return folder / name
    searched = ", ".join(str(folder) for folder in _SEARCH_PATHS)
    raise FileNotFoundError(f"card template {name!r} not found (searched {searched}); pass a template path")
