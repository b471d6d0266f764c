"""The phonology-grounded synthetic signer and LexSign-Synth, the embedded default dataset of `lexsign demo`."""

from .dataset import SynthClasses, SynthConfig, build_synth_dataset, class_descriptions, synth_classes
from .inventory import records_from_asl_lex, sample_record, sample_records
from .render import render_animation, render_frames
from .sign import SynthSign, describe_sign
from .signer import FPS, IMAGE_SIZE, LAYOUT, SignerParams, synthesize

__all__ = [
    "FPS",
    "IMAGE_SIZE",
    "LAYOUT",
    "SignerParams",
    "SynthClasses",
    "SynthConfig",
    "SynthSign",
    "build_synth_dataset",
    "class_descriptions",
    "describe_sign",
    "records_from_asl_lex",
    "render_animation",
    "render_frames",
    "sample_record",
    "sample_records",
    "synth_classes",
    "synthesize",
]
