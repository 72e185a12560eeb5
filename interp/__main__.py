"""``python -m interp``: the same as the ``interp`` command."""

from .cli import entry_point

if __name__ == "__main__":
    entry_point()
