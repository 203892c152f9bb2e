"""dramaturg's platform: settings, clock, database, broker, middleware, locks, channels."""
