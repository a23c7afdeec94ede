"""`python -m rewis3d.cli ...` = `rewis3d ...` (used by background jobs)."""

from rewis3d.cli import main

main(prog_name="rewis3d")
