"""Worker processes that grade one submission at a time (engine.worker), fed by the batch."""

import multiprocessing as mp
import multiprocessing.connection
import time
from collections import Counter, deque
from collections.abc import Callable

from ..results import GradingError, SubmissionOutcome
from .worker import worker_main


class Pool:
    """Worker processes (spawned: a clean interpreter each) fed one submission at a time. A
    worker that dies (a submission that somehow killed it) is replaced; its submission is retried
    once, then recorded as failed."""

    def __init__(self, n: int, config: dict):
        self.ctx = mp.get_context("spawn")
        self.config = config
        self.workers = [self.spawn() for _ in range(n)]
        self.gpu = None

    def spawn(self) -> dict:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker_main, args=(child, self.config), daemon=True)
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "ready": False, "job": None}

    def run(self, jobs: list, done: Callable[[SubmissionOutcome], None], budget: float | None = None) -> None:
        """Grade `jobs` [(name, path)]; done(outcome) for each. A worker still on one submission
        `budget` seconds after it took it (the grader's own backstop: the worker enforces the
        budget itself) is killed and the submission recorded as stopped."""
        pending = deque(jobs)
        attempts = Counter()
        while pending or any(w["job"] is not None for w in self.workers):
            for w in self.workers:
                if w["ready"] and w["job"] is None and pending:
                    w["job"] = pending.popleft()
                    w["since"] = time.monotonic()
                    w["conn"].send(w["job"])
            waitables = {}
            for w in self.workers:
                waitables[w["conn"]] = w
                waitables[w["proc"].sentinel] = w
            for w in self.workers:
                if budget and w["job"] is not None and time.monotonic() - w["since"] > budget:
                    job = w["job"]
                    self.replace(w)
                    done(SubmissionOutcome(job[0], notes=[f"grading this submission took over {budget:g} s: stopped"]))
            for ready in mp.connection.wait(list(waitables), timeout=5 if budget else None):
                w = waitables[ready]
                if w not in self.workers:
                    continue
                message = None
                if ready is w["conn"]:
                    try:
                        message = w["conn"].recv()
                    except (EOFError, OSError):
                        message = None
                if message is not None:
                    kind, payload = message
                    if kind == "ready":
                        w["ready"] = True
                        self.gpu = payload.get("gpu")
                    elif kind == "failed":
                        raise GradingError(f"a grading worker could not start: {payload}")
                    elif kind == "done":
                        w["job"] = None
                        done(payload)
                    continue
                # The worker is gone.
                job = w["job"]
                if not w["ready"] and job is None:
                    w["proc"].join(timeout=5)
                    raise GradingError(f"a grading worker stopped while starting (exit code {w['proc'].exitcode})")
                self.replace(w)
                if job is not None:
                    attempts[job[0]] += 1
                    if attempts[job[0]] < 2:
                        pending.appendleft(job)
                    else:
                        done(
                            SubmissionOutcome(
                                job[0], notes=["the grader's process was killed while grading this submission (twice)"]
                            )
                        )

    def replace(self, w: dict) -> None:
        """Kill a worker (if still running) and start another in its place."""
        self.workers.remove(w)
        if w["proc"].is_alive():
            w["proc"].kill()
        w["proc"].join(timeout=5)
        self.workers.append(self.spawn())

    def close(self, wait: bool = True) -> None:
        """Stop the workers: asked to finish (wait), or killed at once (an interrupted run)."""
        for w in self.workers:
            try:
                if wait:
                    w["conn"].send(None)
            except OSError:
                pass
        for w in self.workers:
            w["proc"].join(timeout=10 if wait else 0)
            if w["proc"].is_alive():
                w["proc"].kill()
                w["proc"].join()
