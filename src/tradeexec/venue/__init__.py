"""What the execution core and the venue adapters agree on, importing neither: the order
vocabulary (``vocab``), what a venue answers (``records``), what the core needs of a venue's
trading rules (``rules``) and the interface a venue implements (``protocol``).

It sits beside ``execution`` rather than inside it so that an adapter (``tradeexec.binance``)
can import it without loading the execution core, and the core can import it without loading
any adapter.
"""
