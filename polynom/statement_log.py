"""PolyNOM 0.3.2's per-application statement log file, on top of polynom's statement logger.

``Application(log_statements=True)`` logs each statement it sends on the ``polynom.statements``
logger (``[app_uuid] statement [params]``, the application's uuid also in the record's
``app_uuid``). PolyNOM 0.3.2 wrote them to ``statements_<uuid>.log`` in the working
directory instead; :meth:`LoggerFactory.get_logger` gives that file back: the logger
``statement_logger_<uuid>`` with PolyNOM's file handler (rotated at 1 GiB, old files kept),
fed with that application's records.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from logging.handlers import RotatingFileHandler
from typing import ClassVar

from polynom import config

__all__ = ["STATEMENTS_LOGGER", "InfiniteRotatingFileHandler", "LoggerFactory"]

#: The logger every application logs its statements on.
STATEMENTS_LOGGER = "polynom.statements"


class InfiniteRotatingFileHandler(RotatingFileHandler):
    """A rotating file handler that never deletes old files (they get a timestamp)."""

    def doRollover(self) -> None:
        if self.stream:
            self.stream.close()
            self.stream = None  # type: ignore[assignment,unused-ignore]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        if os.path.exists(self.baseFilename):
            os.rename(self.baseFilename, f"{self.baseFilename}.{stamp}")
        self.mode = "w"
        self.stream = self._open()


class _ForApplication(logging.Handler):
    """Passes the statement records of one application on to its own logger."""

    def __init__(self, app_uuid: str, target: logging.Logger) -> None:
        super().__init__(logging.INFO)
        self.app_uuid = app_uuid
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "app_uuid", None) == self.app_uuid:
            self.target.handle(record)


class LoggerFactory:
    """PolyNOM 0.3.2's factory of per-application statement loggers."""

    _loggers: ClassVar[dict[str, logging.Logger]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def get_logger(cls, app_uuid: str) -> logging.Logger:
        """The application's statement logger, writing ``statements_<uuid>.log`` (the name
        from ``config.STATEMENT_LOG_FILE_NAME``) in the working directory."""
        if not app_uuid:
            raise ValueError("app_uuid must be provided")
        with cls._lock:
            logger = cls._loggers.get(app_uuid)
            if logger is None:
                logger = logging.getLogger(f"statement_logger_{app_uuid}")
                logger.setLevel(logging.INFO)
                logger.propagate = False  # its records reach polynom.statements already
                base = os.path.splitext(config.get(config.STATEMENT_LOG_FILE_NAME))[0]
                handler = InfiniteRotatingFileHandler(
                    f"{base}_{app_uuid}.log", maxBytes=1 << 30, backupCount=0, encoding="utf-8"
                )
                handler.setFormatter(logging.Formatter("/*%(asctime)s*/ %(message)s"))
                logger.addHandler(handler)
                statements = logging.getLogger(STATEMENTS_LOGGER)
                statements.addHandler(_ForApplication(app_uuid, logger))
                if statements.getEffectiveLevel() > logging.INFO:
                    statements.setLevel(logging.INFO)
                cls._loggers[app_uuid] = logger
            return logger
