"""The student side of grading: a warm "zygote" process and the student processes it forks.

`python -m autograder.engine.student.server FD CONFIG_JSON` starts a zygote: it imports numpy, matplotlib
(and torch and the other modules the exercise uses) once, installs the forbidden-function
tripwires (and the import hooks that wrap forbidden functions of modules imported later), and
then waits on the control socket FD (length-prefixed JSON messages, see `read_frame`). For each
submission the grader sends it a socket and the submission's file; the zygote forks a child
that owns them. The child

1. reads the submission's file (a descriptor the grader sends with the socket) and confines
   itself (engine.confine: limits, disk quota, Landlock, seccomp, no root),
2. parses the notebook and its code, runs the static check for forbidden functions, and sends
   what it found (cells, statements, the source of the tested functions, or why the file is
   unreadable) in its first message, before any of the submission's code has run: so the
   grader itself never parses untrusted code, and can trust that message,
3. runs the code cells statement by statement, as a notebook
   kernel would (an error ends the cell; it reports where it is before each statement, so that
   the grader can stop a statement that hangs and restart without it),
4. answers calls: the grader's tests call proxies; each call arrives here with its arguments,
   runs the student's function, and goes back with the result, the inputs the function
   changed in place, whether the result shares memory with an argument (so that the test gets
   its own array back when the function returned its argument), and any forbidden function it
   tried to use.

Nothing in this process decides a grade: tests, expected values and comparisons live in the
grader. This process never sees a test file.
"""
