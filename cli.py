"""The command line from a source checkout: `python cli.py run` is `cyberttx run`."""

from sim.cli import main

main(prog_name="cyberttx")
