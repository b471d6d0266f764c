"""Converters from other projects' checkpoints into HALI models (`lexsign convert ...`)."""

from .uni_sign import (
    ConversionReport,
    convert_uni_sign_state_dict,
    load_uni_sign_checkpoint,
    uni_sign_names,
    uni_sign_to_hali,
    write_converted,
)

__all__ = [
    "ConversionReport",
    "convert_uni_sign_state_dict",
    "load_uni_sign_checkpoint",
    "uni_sign_names",
    "uni_sign_to_hali",
    "write_converted",
]
