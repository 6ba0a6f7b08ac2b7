"""`python -m autograder secret`: create the grading secret where it is missing (autograder.secret)."""

from ..secret import create_secret


def run(args) -> int:
    path, created = create_secret(args.secret or None)
    print(f"{'created' if created else 'kept'} the grading secret: {path}")
    if created:
        print("keep it, and copy it to any machine that grades this course: the same secret grades a file the same way")
    return 0
