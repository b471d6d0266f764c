"""Build the LexSign Hub dataset folder; the same builder as `lexsign data build` (see `--help`).

    python dataset_scripts/build_lexsign.py --wlasl ../shared/data/wlasl \
        --asl-lex ../shared/data/asl-lex/asllex2_signdata-11-5-20.csv --out lexsign-dataset

The result is a folder of parquet shards with README YAML configs, loadable with
`datasets.load_dataset("lexsign-dataset", "asl1000")` and ready for `huggingface_hub.upload_folder`.
"""

from __future__ import annotations

import sys

from lexsign_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["data", "build", *sys.argv[1:]]))
