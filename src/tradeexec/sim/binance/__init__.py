"""The Binance wire layer of the local exchange: what turns engine state into Binance's API.

It depends on the engine and the state below it, never the reverse.

* ``service``: the endpoint table (``OPERATIONS``), ``Service`` and ``WireState``; the endpoint
  families it combines: ``dispatch`` (auth and shared parameter helpers), ``market_data``,
  ``trading``, ``order_lists``, ``account``, ``wallet``; ``operation`` describes one endpoint;
  ``checks`` applies the symbol filters before an order reaches the engine.
* ``views`` / ``formats``: the wire encoding of answers (REST bodies) and stream payloads.
* ``ws_routes`` mounts the WebSocket side: ``ws_conn`` (one server-side connection, its
  limits), ``ws_api`` (the WebSocket API), ``ws_streams`` (market stream sessions and hub),
  ``stream_names`` (stream name parsing), ``stream_builders`` (depth diffs and open candles
  between ticks), ``userdata`` (user data stream, listenKeys), ``ws_firehose`` (bench feed).
"""
