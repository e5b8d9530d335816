"""`status`, `versions` and `trainer`: the shared database that every replica and trainer works from."""

from __future__ import annotations

import argparse
import json
import logging

from digit_app.cli.arguments import Command


def _status_arguments(command: argparse.ArgumentParser) -> None:
    """`status`'s arguments."""
    command.add_argument("--json", action="store_true",
                         help='one JSON object: {"active": ..., "corrections": ..., "training": ...}')


def _versions_arguments(command: argparse.ArgumentParser) -> None:
    """`versions`' arguments: one action at most."""
    action = command.add_mutually_exclusive_group()
    action.add_argument("--activate", metavar="ID", help="make this version the one every replica answers with")
    action.add_argument("--delete", metavar="ID", help="delete this version (not the shipped one, not the one in use)")


def _trainer_arguments(command: argparse.ArgumentParser) -> None:
    """`trainer`'s arguments."""
    command.add_argument("--once", action="store_true", help="wait for one job, run it, and exit")


def _quiet_database_log() -> None:
    """The error line says what went wrong once, not the database's log too."""
    logging.getLogger("digit_app.database").setLevel(logging.ERROR)


def status(args: argparse.Namespace) -> int:
    """The shared database's state: the active version, how many corrections, the training job (or none), the queue."""
    from digit_app.database import status as database_status

    _quiet_database_log()
    state = database_status()
    if args.json:
        print(json.dumps(state))
        return 0
    job = state["training"]
    print(f"active version: {state['active']}")
    print(f"corrections: {state['corrections']}")
    print("training: none" if job is None else f"training: job {job['id']} ({job['state']}), progress "
                                                 f"{json.dumps(job['progress'])}")
    print(f"queued: {state['queued']} job{'' if state['queued'] == 1 else 's'}")
    return 0


def versions(args: argparse.Namespace) -> int:
    """The shared database's model versions, the one in use marked with *; --activate or --delete one first."""
    from digit_app.database import registry

    _quiet_database_log()
    if args.activate:
        registry.activate(args.activate)
        print(f"{args.activate} is now the model in use")
    if args.delete:
        registry.delete(args.delete)  # never the shipped model nor the one in use
        print(f"deleted {args.delete}")
    active = registry.active_version_id()
    for version in registry.list_versions():
        accuracy = "—" if version.test_accuracy is None else f"{version.test_accuracy:.2%}"
        mark = "*" if version.id == active else " "
        print(f"{mark} {version.id}  MNIST test {accuracy}  {version.summary.saved_at or ''}".rstrip())
    return 0


def trainer(args: argparse.Namespace) -> int:
    """Take training jobs from the shared database's queue and run them, one at a time, until SIGTERM or SIGINT (or,
    with --once, after one job)."""
    from digit_app.jobs.queue_trainer import serve, start_process

    serve(start_process("trainer"), once=args.once)  # niced: beside replicas on one machine, their answers come first
    return 0


COMMANDS = (  # this group's commands, in the order `--help` lists them
    Command("status", "the shared database: active version, corrections, training job", _status_arguments, status),
    Command("versions", "the shared database's model versions; activate or delete one", _versions_arguments,
            versions),
    Command("trainer", "take training jobs from the shared database, one at a time, until stopped (SIGTERM or "
            "Ctrl-C)", _trainer_arguments, trainer, tensorflow=True),
)
