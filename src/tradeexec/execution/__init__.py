"""The execution core: signals to orders, exactly once."""
