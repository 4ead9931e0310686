"""``python -m borderkit``: the command line."""

from borderkit.cli import main

if __name__ == "__main__":
    main()
