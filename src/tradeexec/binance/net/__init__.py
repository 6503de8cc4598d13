"""Getting bytes to Binance and back: HTTP/1.1 and WebSocket connections, request signing, the
endpoint registry (security type, weight), the REST transport with its retry policy, and the
request-weight and order-rate budgets."""
