"""Pulling a source's next page in a forked worker process while this process stores the last.

Parsing a large export and storing it both hold the GIL (a reading thread measured no faster),
so on a machine with two cores the one way to overlap them is a second process. A source opts
in with `pulls_in_worker = True`: it reads local files and keeps nothing the parent needs back
(no connection, no token cache). Every other source is pulled in this process, as before.

What stays true (DESIGN.md contract 1):
- Pages arrive in order, each with its cursor, and only this process stores them, one
  transaction per page; a kill anywhere leaves the database as before.
- The worker runs at most one page ahead: a page is one pickle on a pipe, and writing it blocks
  until this process reads it.
- The worker holds nothing of its parent's: right after the fork it closes every inherited
  descriptor but its end of the pipe and stdio, so it never keeps the instance lock (an
  flock) or a database connection alive. It dies with its parent: once the parent is gone its
  next write fails (EPIPE) and it exits; a parent that stops early kills it.
- An error in the worker is raised here as the same exception (the connectors/errors.py kinds
  keep their advice and retry_after), so agent/sync.py sorts it as before; anything that does
  not pickle arrives as a RuntimeError with its type and text, its traceback logged by the worker.
  A worker that dies without a word (the OOM killer) is a TransientError: the run resumes.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
from collections.abc import Generator
from typing import Any, BinaryIO

from touchbase.connectors.base import Page, Source
from touchbase.connectors.errors import TransientError

log = logging.getLogger(__name__)


def pages(source: Source, cursor: str | None) -> Generator[Page, None, None]:
    """`source.pull(cursor)`, from a worker process when the source allows it."""
    if not getattr(source, "pulls_in_worker", False) or not hasattr(os, "fork"):
        yield from source.pull(cursor)
        return
    try:
        read_fd, write_fd = os.pipe()
    except OSError as exc:  # out of descriptors: slower, but the pull still happens
        log.warning("pulling in this process: no pipe for a worker (%s)", exc.strerror)
        yield from source.pull(cursor)
        return
    try:
        pid = os.fork()
    except OSError as exc:  # out of processes or memory: likewise
        os.close(read_fd)
        os.close(write_fd)
        log.warning("pulling in this process: no worker process (%s)", exc.strerror)
        yield from source.pull(cursor)
        return
    if pid == 0:  # the worker; never returns
        _work(source, cursor, read_fd, write_fd)
    os.close(write_fd)
    reaped = finished = False
    try:
        with os.fdopen(read_fd, "rb") as stream:
            while True:
                try:
                    kind, value = pickle.load(stream)
                except (EOFError, pickle.UnpicklingError):
                    _, status = os.waitpid(pid, 0)
                    reaped = True
                    code = os.waitstatus_to_exitcode(status)
                    how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
                    raise TransientError(
                        f"the process reading the files ended before finishing ({how})",
                        advice="run it again: it resumes after the last stored page (a kill by "
                        "signal 9 is often the system running out of memory)",
                    ) from None
                if kind == "page":
                    yield value
                elif kind == "done":
                    finished = True
                    return
                else:
                    raise value
    finally:
        if not reaped:
            if not finished:  # stopped early: SIGTERM, an error storing or in the worker
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


def _work(source: Source, cursor: str | None, read_fd: int, write_fd: int) -> None:
    code = 0
    try:
        # The parent's garbage came along (a finished sync's socket, a disposed engine's
        # connections): collected here, it would close descriptor numbers that this process
        # has since reused for its own files and sockets (an IMAP pull tried in a worker failed
        # with EBADF half-way, issue 16). Frozen, the collector never looks at it.
        gc.freeze()
        os.close(read_fd)
        # Leave the parent's descriptors to the parent: the instance lock's flock and the
        # database's sockets would otherwise outlive a killed parent for as long as this runs.
        _close_inherited(keep=write_fd)
        # Signals are the parent's business: it finishes its page and then kills this worker.
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _plain_logging()
        with os.fdopen(write_fd, "wb") as stream:
            try:
                for page in source.pull(cursor):
                    _send(stream, ("page", page))
                _send(stream, ("done", None))
            except BrokenPipeError:
                raise
            except BaseException as exc:
                _send(stream, ("error", _portable(exc)))
    except BrokenPipeError:  # the parent is gone: nobody is left to store what is read
        code = 1
    except BaseException:  # nothing may escape a forked child into the parent's code
        code = 2
    finally:
        os._exit(code)


def _close_inherited(keep: int) -> None:
    """Close every descriptor above stdio but `keep`: those /proc lists where it exists (the
    open-files limit may be a billion in a container, too many to walk), else up to 64k."""
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, min(os.sysconf("SC_OPEN_MAX"), 65_536)))
    for fd in open_fds:
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:  # the listing's own descriptor, already gone
                pass


def _send(stream: BinaryIO, item: tuple[str, Any]) -> None:
    pickle.dump(item, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives a pickle round trip, else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        log.error("pulling failed in the worker process", exc_info=exc)
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, Exception) or not type(exc).__module__.startswith(
        "touchbase.connectors."
    ):
        log.error("pulling failed in the worker process", exc_info=exc)
    return exc


def _plain_logging() -> None:
    """Log to fd 2 with the parent's format and filters (the redaction of addresses among
    them), through a fresh handler on a fresh stream: a lock that another thread held at the
    fork (a progress bar's console, sys.stderr's buffer) would never be released here."""
    root = logging.getLogger()
    first = root.handlers[0] if root.handlers else None
    for handler in list(root.handlers):
        root.removeHandler(handler)
    # Open for the rest of the worker's life (os._exit closes nothing): no context manager.
    stream = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    fresh = logging.StreamHandler(stream)
    if first is not None:
        fresh.setFormatter(first.formatter)
        for kept in first.filters:
            fresh.addFilter(kept)
    root.addHandler(fresh)
