"""Derived data: what is computed from a reconstruction, stored next to it with a fingerprint
of what it was built from, and rebuilt whenever it is absent, stale or damaged (the sampling
index, the propagation preview's index, the display subset). ``cache`` is how every kind is
stored and checked; ``geometry`` holds the algorithms that compute them."""
