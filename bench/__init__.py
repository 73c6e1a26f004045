"""``make bench``: a reproducible performance benchmark against a throwaway PostgreSQL database.

Not part of the product: nothing here is installed as an app or routed in production.
"""
