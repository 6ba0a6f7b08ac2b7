"""`jupyter-book build`, as `make book` runs it, without 3-4 s of start-up spent on nothing.

jsonschema imports `rfc3987_syntax` whenever it is installed (jupyter-events, which JupyterLab
needs, pulls it in); importing it compiles 38 lark grammars, about 3.5 s of CPU on a 2-core
machine, on every build, for URI-format checks that no part of the book build asks for.
Measured: `import jsonschema` 3.3-4.1 s of CPU with it, 0.3 s without. This runs Jupyter Book's
own command line with that one import turned off, so jsonschema leaves those formats unchecked
(as it does wherever the package is not installed). Everything else is `jupyter-book build`.

    python book/_ext/build.py [arguments of jupyter-book build]   # default: . -W --keep-going
"""

import sys


def skip_slow_imports():
    """Make `import rfc3987_syntax` fail (jsonschema then skips it); call before importing jupyter_book."""
    sys.modules.setdefault("rfc3987_syntax", None)


def main(argv=None):
    skip_slow_imports()
    from jupyter_book.cli.main import main as jupyter_book

    args = sys.argv[1:] if argv is None else argv
    jupyter_book(["build", *(args or [".", "-W", "--keep-going"])])


if __name__ == "__main__":
    main()
