"""WebSocket sides of the client: market streams, the WebSocket API, and the user-data stream."""
