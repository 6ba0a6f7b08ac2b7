"""`python -m autograder similarity <id> <folder> -o <out>`: similarity.csv and similarity.html."""

from ..outputs import similarity
from ..settings import SIMILARITY_THRESHOLD


def run(args) -> int:
    threshold = SIMILARITY_THRESHOLD if args.threshold is None else args.threshold
    similarity.write_report(args.id, args.folder, args.output, threshold=threshold, progress=not args.quiet)
    return 0
