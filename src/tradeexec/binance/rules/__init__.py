"""Symbol and exchange rules: the filters Binance publishes per symbol, rounding onto their grids,
and the local check of an order against them before anything is sent."""
