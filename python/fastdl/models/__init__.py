"""Model families with a Python API; `fastdl train FAMILY` wraps them."""
