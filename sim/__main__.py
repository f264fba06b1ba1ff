"""`python -m sim` is the `cyberttx` command."""

from .cli import main

main(prog_name="cyberttx")
