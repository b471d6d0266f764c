"""Model code (self-contained: copied next to the weights for `trust_remote_code`)."""
