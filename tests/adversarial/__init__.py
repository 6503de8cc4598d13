"""Attacks from outside on tradeexec's guarantees (issue 13): clock steps, a second writer, a
sick disk, reordered streams, a stop in the middle of everything. Each test was seen failing
on the code before its fix. ``TRADEEXEC_SOAK=full`` (``make soak``) runs the long versions."""
