"""ASL-LEX 2.0 phonological records and the `phon` description source.

`load_asl_lex` reads the ASL-LEX 2.0 sign-data CSV into `PhonRecord`s (first morpheme, the `*.2.0` columns),
`match_wlasl_gloss` / `best_match` link WLASL glosses to ASL-LEX entries, and `describe` turns a record into a
dictionary-style English description in the style of the LexSign prompts ("A hand, palm facing in, at the chin;
move forward twice."). Clauses are separated by `,` `;` `.` so the description splits into 2-6 fragments.

ASL-LEX codes neither palm orientation nor the direction of a path movement. A record may carry them
(`palm_orientation`, `movement_direction`: the synthetic signer samples both); for ASL-LEX records orientation is
never stated (contact with the body does not fix which way the palm faces: MOTHER touches the chin with the thumb
of a palm-side-on 5 hand) and the direction only where the start→end location sequence implies it.

Paraphrase templates: `N_TEMPLATES` wordings with different clause order and vocabulary. `TRAIN_TEMPLATES` are the
ones training may use; `HELD_OUT_TEMPLATES` are reserved for describing unseen classes at evaluation, so a model
cannot succeed by memorising the training wording.

Modules: `coding` (the CSV reader, `PhonRecord`, gloss matching), `handshapes` (names, looks and usual coding of the
handshape codes), `clauses` (what a record says, wording-independent), `templates` (the paraphrases and
`describe`), `audit` (fault patterns of the texts and glosses they cannot tell apart; `dataset_scripts/phon_audit.py`
writes `results/phon/ties.json` with it).
"""

from .clauses import infer_palm_orientation
from .coding import (
    MAJOR_LOCATIONS,
    MINOR_LOCATIONS,
    MOVEMENT_DIRECTIONS,
    MOVEMENTS,
    PALM_ORIENTATIONS,
    REQUIRED_COLUMNS,
    SIGN_TYPES,
    AslLexEntries,
    AslLexReport,
    PhonRecord,
    best_match,
    load_asl_lex,
    match_wlasl_gloss,
    normalize_gloss,
)
from .handshapes import HANDSHAPES, handshape_name
from .templates import HELD_OUT_TEMPLATES, N_TEMPLATES, TRAIN_TEMPLATES, describe

__all__ = [
    "HANDSHAPES",
    "HELD_OUT_TEMPLATES",
    "MAJOR_LOCATIONS",
    "MINOR_LOCATIONS",
    "MOVEMENTS",
    "MOVEMENT_DIRECTIONS",
    "N_TEMPLATES",
    "PALM_ORIENTATIONS",
    "REQUIRED_COLUMNS",
    "SIGN_TYPES",
    "TRAIN_TEMPLATES",
    "AslLexEntries",
    "AslLexReport",
    "PhonRecord",
    "best_match",
    "describe",
    "handshape_name",
    "infer_palm_orientation",
    "load_asl_lex",
    "match_wlasl_gloss",
    "normalize_gloss",
]
