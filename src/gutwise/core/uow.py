"""Unit of work: one transaction per use case (after cosmicpython's ``unit_of_work.py``).

A service enters ``with uow:``, does its reads and writes, and calls ``uow.commit()``; leaving the block without a
commit rolls everything back, so a use case either lands whole or not at all. When one service calls another, the
inner ``with uow:`` joins the outer transaction: its ``commit()`` is deferred to the outermost block, so a composed
use case is still a single transaction.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Opens a session when first entered; not shared between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._session: Session | None = None
        self._depth = 0

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'with uow:'")
        return self._session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        if self._depth == 0:
            self._session = self._factory()
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        assert self._session is not None
        try:
            # close() rolls back anything not committed but, unlike rollback(), leaves loaded objects readable.
            self._session.close()
        finally:
            self._session = None

    def commit(self) -> None:
        """Commit now if this is the outermost block; otherwise the outermost block's commit decides."""
        if self._depth == 1:
            self.session.commit()
        else:
            self.session.flush()

    def flush(self) -> None:
        """Send pending writes (to get generated ids) without ending the transaction."""
        self.session.flush()
