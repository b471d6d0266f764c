"""Hub ids wherever a model or a dataset is named (`--model`, `--init-model`, `--data`, the Space): a local folder
is used as it is; `namespace/name` is a Hugging Face Hub repository, taken from the local HF cache first
(`snapshot_download(local_files_only=True)`), else downloaded, unless offline (`HF_HUB_OFFLINE=1`): then one line
says so."""

from __future__ import annotations

import os
import re
from pathlib import Path

HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")


def is_hub_id(name: str) -> bool:
    """Whether `name` has the shape of a Hub repository id `namespace/name`."""
    return bool(HUB_ID.fullmatch(name)) and ".." not in name


def resolve_repo(name_or_path: str | os.PathLike, repo_type: str = "model", option: str = "--model") -> Path:
    """The local folder `name_or_path` names: itself when it exists, else the snapshot of the Hub repository of
    that id (cache first). `option` names the flag in the one-line errors."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    name = os.fspath(name_or_path)
    if Path(name).exists():
        return Path(name)
    if not is_hub_id(name):
        raise FileNotFoundError(f"{option} {name}: no such folder, and not a Hub id (namespace/name)")
    kind = "dataset" if repo_type == "dataset" else "model"
    try:
        return Path(snapshot_download(name, repo_type=repo_type, local_files_only=True))
    except LocalEntryNotFoundError:
        if constants.HF_HUB_OFFLINE:
            flag = " --repo-type dataset" if repo_type == "dataset" else ""
            raise FileNotFoundError(
                f"{option} {name}: no local folder of that name and the Hub {kind} is not in the HF cache "
                f"({constants.HF_HUB_CACHE}) while HF_HUB_OFFLINE is set; fetch it once online "
                f"(`hf download {name}{flag}`)"
            ) from None
    try:
        return Path(snapshot_download(name, repo_type=repo_type))
    except RepositoryNotFoundError:
        raise FileNotFoundError(
            f"{option} {name}: no local folder of that name and no such Hub {kind} (or it is private: log in "
            "with `hf auth login`)"
        ) from None
    except (HfHubHTTPError, OSError) as error:
        raise OSError(
            f"{option} {name}: could not download the Hub {kind} ({type(error).__name__}: {error})"
        ) from None
