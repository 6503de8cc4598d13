"""The REST API as typed calls: the ``RestApi`` base they are written against, parameter and
new-order argument checks, and one class per product family (spot, margin, futures, wallet)."""
