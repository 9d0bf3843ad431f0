"""The daemon's main loop: a `schedule` scheduler, signals, the lock and systemd notifications.

- One instance per database (agent/daemon/lock.py); a second start says who holds it.
- SIGTERM / SIGINT: the page being stored is finished and committed, then the loop ends (well
  within systemd's 10 s); a second signal exits at once (the store is transactional either way).
- SIGHUP: reread the configuration; a broken file is reported and the running one kept.
- Each account's schedule and backoff live in the database (agent/daemon/backoff.py); the
  scheduler only wakes the loop often enough to notice what is due, and once a day for the digest.

Signal handlers only set flags: all work happens in the main thread, between pages, so a signal
never interrupts a transaction half-way. The idle loop sleeps in select() on a pipe that the
interpreter writes each signal's number to (signal.set_wakeup_fd), so a signal wakes it at once.
A handler must not take a lock: threading.Event.set() in a handler deadlocks when the signal
lands while the main thread itself holds that Event's lock (inside wait() or clear()).
"""

from __future__ import annotations

import logging
import os
import select
import signal
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import schedule

from touchbase.agent.daemon import cycle, notify
from touchbase.agent.daemon.lock import InstanceLock
from touchbase.agent.errors import ConfigError
from touchbase.agent.logs import event
from touchbase.agent.pipeline.config import config_path, load_config
from touchbase.agent.service import Service

log = logging.getLogger(__name__)
MAX_TICK = 60.0  # seconds: how late a backed-off account's retry may be noticed


class Daemon:
    """`run()` until SIGTERM (or for one cycle with `once=True`); returns the exit status.

    `steps` is the cycle (agent.daemon.steps.default_steps(service)); `config_path` is the file
    SIGHUP rereads (the default place when None)."""

    def __init__(
        self,
        service: Service,
        steps: Sequence[cycle.Step],
        *,
        config_path: Path | None = None,
        once: bool = False,
        force: bool = False,
    ) -> None:
        self.service = service
        self.config_path = config_path
        self.once = once
        self.force = force
        self.steps = steps
        self.stopping = False
        self.reload_requested = False
        self.scheduler = schedule.Scheduler()
        self.watchdog = notify.Watchdog()
        self.cycles = 0
        self._wakeup: tuple[int, int] | None = None
        self.last_ok = True

    # --- lifecycle ----------------------------------------------------------------------------

    def run(self) -> int:
        service = self.service
        lock = InstanceLock(service.db_url, service.engine)  # the engine migrates the schema
        lock.acquire()
        previous = self._install_signals()
        try:
            event(
                log,
                logging.INFO,
                "daemon started" if not self.once else "single cycle started",
                pid=os.getpid(),
                accounts=len(service.config.accounts),
                lock=lock.where,
            )
            if not service.config.accounts:
                log.warning("no accounts are configured; add an [[account]] and reload")
            if self.once:
                self._cycle(force=self.force)
                return 0 if self.last_ok else 1
            self._plan()
            notify.ready(f"ready: {len(service.config.accounts)} accounts")
            # A start always runs one whole cycle, even with no account due: a daemon killed
            # after its sync was recorded but before the later steps (rules, drafts, push) ran
            # would otherwise leave them undone for a whole interval.
            self._cycle(force=False)
            while not self.stopping:
                self._sleep()
                if self.stopping:
                    break
                if self.reload_requested:
                    self._reload()
                self.scheduler.run_pending()
            return 0
        finally:
            notify.stopping("stopping")
            event(log, logging.INFO, "daemon stopped", pid=os.getpid(), cycles=self.cycles)
            lock.release()
            self._restore_signals(previous)

    def _sleep(self) -> None:
        idle = self.scheduler.idle_seconds
        timeout = MAX_TICK if idle is None else max(0.0, idle)
        if self.watchdog.interval is not None:
            timeout = min(timeout, self.watchdog.interval)
        self.watchdog.ping()
        assert self._wakeup is not None
        readable, _, _ = select.select([self._wakeup[0]], [], [], timeout)
        if readable:
            try:
                while os.read(self._wakeup[0], 512):
                    pass
            except BlockingIOError:
                pass
        self.watchdog.ping()

    # --- signals ------------------------------------------------------------------------------

    def _should_stop(self) -> bool:
        return self.stopping

    def _install_signals(self) -> dict[int, Any]:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wakeup = (read, write)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        previous: dict[int, Any] = {}
        for signum, handler in (
            (signal.SIGTERM, self._on_stop),
            (signal.SIGINT, self._on_stop),
            (signal.SIGHUP, self._on_reload),
        ):
            previous[signum] = signal.signal(signum, handler)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(-1)
        if self._wakeup is not None:
            for fd in self._wakeup:
                os.close(fd)
            self._wakeup = None

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            # Asked twice: leave now. Whatever transaction is open is rolled back, never halved.
            raise SystemExit(128 + signum)
        self.stopping = True

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        self.reload_requested = True

    # --- scheduling ---------------------------------------------------------------------------

    def _tick(self) -> int:
        config = self.service.config
        intervals = [cycle.interval(self.service, a) for a in config.accounts]
        return int(max(1.0, min([MAX_TICK, config.sync_every, *intervals])))

    def _plan(self) -> None:
        """(Re)build the job from the configuration: a due check every tick.

        The check also notices the daily digest (in the owner's time zone, which `schedule`'s
        `.at()` would need pytz for), so the digest is at most one tick late.
        """
        self.scheduler.clear()
        self.scheduler.every(self._tick()).seconds.do(self._cycle_if_due).tag("cycle")

    def _cycle_if_due(self) -> None:
        now = self.service.now()
        if any(step.due(now) for step in self.steps):
            self._cycle(force=False)
        else:
            log.debug("nothing due")

    def _cycle(self, *, force: bool) -> None:
        context = cycle.CycleContext(
            self.service.now, force=force, should_stop=self._should_stop, progress=self._progress
        )
        result = cycle.run_cycle(context, self.steps)
        self.cycles += 1
        self.last_ok = result.ok
        sync = result.summaries.get("sync", {})
        text = (
            f"idle: cycle {self.cycles} done: synced={sync.get('synced', 0)} "
            f"failed={sync.get('failed', 0)} stored={sync.get('stored', 0)}"
        )
        event(
            log,
            logging.INFO,
            "cycle done",
            cycle=self.cycles,
            ok=result.ok,
            stopped=result.stopped,
            failed_steps=",".join(result.failed_steps),
        )
        notify.status(text)

    def _progress(self, status: str) -> None:
        self.watchdog.ping()
        notify.status(status)

    # --- reload -------------------------------------------------------------------------------

    def _reload(self) -> None:
        self.reload_requested = False
        notify.reloading()
        try:
            new = load_config(self.config_path or config_path())
        except ConfigError as exc:
            event(
                log,
                logging.ERROR,
                "configuration reload failed; keeping the running configuration",
                error=str(exc),
                advice=exc.advice,
            )
            notify.ready(f"reload failed, running the old configuration: {exc}"[:200])
            return
        old = self.service.config
        if new.database_url != old.database_url:
            log.warning("the database URL changed; restart the daemon to use the new one")
        self.service.reconfigure(new)
        self._plan()
        event(
            log,
            logging.INFO,
            "configuration reloaded",
            accounts=len(new.accounts),
            added=",".join(sorted({a.name for a in new.accounts} - {a.name for a in old.accounts})),
        )
        notify.ready(f"reloaded: {len(new.accounts)} accounts")
        self._cycle_if_due()
