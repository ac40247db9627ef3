"""`python -m gradcheck`: the command line."""

from .cli import main

main()
