"""The subcommands of `python -m autograder`, one module each: each takes the parsed arguments,
calls the layers below, and returns the exit status. Nothing here grades or renders."""
