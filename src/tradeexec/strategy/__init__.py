"""Running a user's strategy: the API it is written against, the runner, the trading session
shared with the demo."""
