"""The Jinja card templates shipped inside the package (`lexsign_hf/model_cards/`, package data).

The top-level `model_cards/` of a checkout is a link to that folder, so there is one copy of each template.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATE_PACKAGE = "lexsign_hf.model_cards"


def card_template_path(name: str) -> Path:
    """Path of the card template `name` (e.g. ``"lexsign_dataset.md.jinja"``) inside the installed package."""
    path = Path(str(resources.files(TEMPLATE_PACKAGE).joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"card template {name!r} not found in {TEMPLATE_PACKAGE} ({path.parent})")
    return path
