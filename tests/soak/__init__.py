"""Proofs of fault tolerance: the chaos soak and crash-restart tests."""
