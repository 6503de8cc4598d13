"""The demo: a strategy on the local exchange with faults injected, a live view and an HTML report."""
