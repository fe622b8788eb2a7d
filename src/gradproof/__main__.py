"""``python -m gradproof check FILE``: see :mod:`gradproof.cli`."""

from gradproof.cli import run

if __name__ == "__main__":
    run()
