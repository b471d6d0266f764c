"""The Inference Endpoints handler; it lives in `lexsign_hf.models.hali.handler` (copied next to the weights as
`handler.py`)."""

from ..models.hali.handler import EndpointHandler, decode_inputs

__all__ = ["EndpointHandler", "decode_inputs"]
