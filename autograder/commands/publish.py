"""`python -m autograder publish DIR`: the student tree (no answer key, no hidden test, no grader)."""

import sys

from ..authoring.publish import PublishError, publish


def run(args) -> int:
    try:
        print(f"wrote the student tree to {publish(args.dir)}")
    except PublishError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
