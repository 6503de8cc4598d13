"""The REST API as typed calls: the endpoint table, parameter checks, and one class per product
family (spot, margin, futures, wallet)."""
