"""`python -m autograder gradescope <id>`: build the assignment's Gradescope autograder zip."""

import sys

from ..authoring.gradescope_zip import build


def run(args) -> int:
    path = build(args.id, args.output)
    print(f"{args.id}: wrote {path}", file=sys.stderr)
    print(
        "Upload it on Gradescope: Assignment > Configure Autograder > Zip file upload "
        "(base image: Ubuntu 22.04; see book/instructors.md)",
        file=sys.stderr,
    )
    return 0
