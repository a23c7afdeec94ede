"""MapAnything as a Rewis3d reconstruction backend (entry point ``mapanything``)."""
