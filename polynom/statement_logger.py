"""PolyNOM 0.3.2's ``polynom.statement_logger`` (a face over :mod:`polynom.statement_log`)."""

from polynom.statement_log import InfiniteRotatingFileHandler, LoggerFactory

__all__ = ["InfiniteRotatingFileHandler", "LoggerFactory"]
