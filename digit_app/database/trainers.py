"""Trainers' heartbeats: a trainer process says every few seconds that it is alive; replicas ask before they train.

A `python -m digit_app trainer` writes its row every `BEAT` seconds and deletes it when it stops. A
replica that queues a job runs it itself only when no trainer was heard from within `ALIVE_WITHIN`
seconds (a killed trainer's row simply goes quiet), so with a trainer alive replicas never train.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from digit_app.database.engine import Database
from digit_app.database.schema import trainers

BEAT = 3.0  # seconds between a trainer's heartbeats
ALIVE_WITHIN = 15.0  # a trainer heard from this recently is alive
FORGET_AFTER = 3600.0  # a row this quiet is deleted when another trainer beats


class TrainersTable:
    """The trainers alive: `beat` (a trainer, every few seconds), `alive` (a replica, before it trains), `leave`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def beat(self, name: str, now: float | None = None) -> None:
        """Say `name` is alive now (the first beat adds its row); long-silent rows of dead trainers are dropped."""
        now = time.time() if now is None else now
        with self.database.write(lock="trainers") as db:
            if not db.execute(trainers.update().where(trainers.c.name == name).values(heartbeat=now)).rowcount:
                db.execute(trainers.insert().values(name=name[:200], started=now, heartbeat=now))
            db.execute(trainers.delete().where(trainers.c.heartbeat < now - FORGET_AFTER))

    def alive(self, within: float = ALIVE_WITHIN) -> list[str]:
        """The trainers heard from within `within` seconds, by name (host:pid:token)."""
        with self.database.read() as db:
            rows = db.execute(sa.select(trainers.c.name).where(trainers.c.heartbeat >= time.time() - within)
                              .order_by(trainers.c.name))
            return [str(name) for (name,) in rows]

    def leave(self, name: str) -> None:
        """`name` stops: replicas train again at once rather than after `ALIVE_WITHIN` seconds."""
        with self.database.write(lock="trainers") as db:
            db.execute(trainers.delete().where(trainers.c.name == name))
