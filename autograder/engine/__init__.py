"""The grading engine: a folder of submissions in, outcomes out (batch), nothing written.

batch lists the folder and feeds a pool of workers (pool); a worker (worker) loads the tests
(testfiles), starts a warm zygote (zygote) and, per submission, a session (session) with one
confined student process (student/: the only code that runs with the submission's code, which
imports confine, landlock, seccomp, wire, forbidden and submissions and nothing else of the
grader). Tests call
proxies (calls); values cross on the wire (wire); the grader's clock (clock) hides transfers;
earlier outcomes are reused by content (cache).
"""
