"""dramaturg's Dramatiq middleware, one class per module; ``shared/broker.py`` orders them."""
