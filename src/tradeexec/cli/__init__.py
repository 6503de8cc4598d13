"""The ``tradeexec`` command: ``main`` builds the parser; each command group has its own module
(see docs/ARCHITECTURE.md)."""
