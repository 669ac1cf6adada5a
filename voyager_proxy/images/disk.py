"""The image store's disk jobs on one thread of their own, in order, off the reactor."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorFromThreads
from twisted.python.threadpool import ThreadPool

from .store import DiskJob, DiskProblems


class ThreadedDisk:
    """
    One writer thread: jobs run in the order given (a write before the removal
    that evicts it). A job's OSError is reported on the reactor thread to
    L{DiskProblems}: logged once, counted always, the image still served from
    memory.
    """

    def __init__(self, reactor: IReactorFromThreads, problems: DiskProblems) -> None:
        self._reactor = reactor
        self.problems = problems
        self._pool = ThreadPool(minthreads=0, maxthreads=1, name="voyager-proxy-images-disk")

    def run(self, job: DiskJob) -> None:
        if not self._pool.started:
            self._pool.start()
        self._pool.callInThread(self._job, job)

    def _job(self, job: DiskJob) -> None:
        try:
            job()
        except OSError as problem:
            self._reactor.callFromThread(self.problems.failed, problem)

    def stop(self) -> None:
        """Finish the jobs given so far, then let the thread go (at shutdown)."""
        if self._pool.started:
            self._pool.stop()
