"""``govdesk outbox-worker``: re-drive every outbox until its entries are done (ADR 13).

Runs each registered dispatcher (today: the outcome intents that follow approvals) at start and
then every ``--interval`` seconds, for as long as it runs; ``--once`` makes one pass and exits
(for cron or a health check). Any number may run at once: entries are claimed with a lease.
SIGTERM or Ctrl-C stops it after the current pass; SIGKILL at any point loses nothing, as a claim
whose worker died is taken over when its lease expires.
"""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from govdesk.common import outbox

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the outbox dispatchers (what follows approvals) until stopped, or once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds to sleep when nothing is due (default: GOVDESK_OUTBOX_POLL_SECONDS)",
        )
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args: Any, interval: float | None, once: bool, **options: Any) -> None:
        pause = settings.OUTBOX_POLL_SECONDS if interval is None else interval
        worker = outbox.worker_name()
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        verbose = options["verbosity"] > 1 or once
        while self.running:
            close_old_connections()
            for name, dispatch in outbox.dispatchers().items():
                try:
                    report = dispatch(worker=worker)
                except Exception:  # the database went away …: log, sleep, try again
                    logger.exception("outbox %s: dispatch failed", name)
                    continue
                if verbose or report.done or report.deferred:
                    self.stdout.write(
                        f"{name}: {report.done} done, {report.deferred} deferred ({worker})"
                    )
            if once:
                return
            slept = 0.0
            while self.running and slept < pause:  # wake up soon after a SIGTERM
                time.sleep(min(0.5, pause - slept))
                slept += 0.5
