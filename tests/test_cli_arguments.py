"""The command line's arguments (digit_app/cli/arguments.py): a command's arguments added only when it is parsed,
one-line usage errors with exit code 2, ranges checked as parsed."""

from __future__ import annotations

import argparse

import pytest

from digit_app.cli.arguments import USAGE_ERROR, Parser, checked_by, whole


def two_commands(added: list[str]) -> Parser:
    """A parser with commands `a` and `b`, each noting in `added` when its arguments are added."""
    def arguments(name: str):
        def add(command: argparse.ArgumentParser) -> None:
            added.append(name)
            command.add_argument("--count", type=whole(1, 3), default=1)
        return add

    parser = Parser(prog="prog")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name in ("a", "b"):
        commands.add_parser(name, help=f"command {name}", arguments=arguments(name)).set_defaults(name=name)
    return parser


def test_a_command_s_arguments_are_added_only_when_it_is_parsed_and_once():
    added = []
    parser = two_commands(added)
    assert "command a" in parser.format_help() and added == []  # the list of commands needs none
    assert vars(parser.parse_args(["b", "--count", "3"])) == {"name": "b", "count": 3}
    assert vars(parser.parse_args(["b"])) == {"name": "b", "count": 1}
    assert added == ["b"]


def test_a_command_s_help_shows_the_arguments_added_late(capsys):
    added = []
    with pytest.raises(SystemExit) as exited:
        two_commands(added).parse_args(["a", "--help"])
    assert exited.value.code == 0 and "--count" in capsys.readouterr().out and added == ["a"]


def test_a_usage_error_is_one_line_naming_the_command_s_help_with_exit_code_2(capsys):
    with pytest.raises(SystemExit) as exited:
        two_commands([]).parse_args(["a", "--count", "4"])
    assert exited.value.code == USAGE_ERROR
    assert capsys.readouterr().err == ("error: argument --count: a whole number from 1 to 3 is wanted, not '4' "
                                       "(see prog a --help)\n")


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("10", 10), ("-1", None), ("11", None), ("1e1", None),
                                             ("2.0", None), ("", None)])
def test_whole_takes_whole_numbers_within_its_bounds_only(text, value):
    parse = whole(0, 10)
    if value is None:
        with pytest.raises(argparse.ArgumentTypeError, match="a whole number from 0 to 10 is wanted"):
            parse(text)
    else:
        assert parse(text) == value


def test_whole_quotes_at_most_40_characters_of_what_it_refuses():
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        whole(0, 1)("9" * 1000)
    assert str(refused.value).endswith(f"not {'9' * 40!r}")


def test_checked_by_takes_the_settings_object_s_own_bounds_and_refuses_what_is_not_finite():
    def settings(value: float) -> None:
        if value > 2:
            raise ValueError(f"at most 2, got {value}")

    parse = checked_by(settings)
    assert parse("1.5") == 1.5
    for text, message in (("3", "at most 2, got 3.0"), ("nan", "a number is wanted, not 'nan'"),
                          ("-inf", "a number is wanted"), ("two", "a number is wanted")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)
    with pytest.raises(argparse.ArgumentTypeError, match="a whole number is wanted, not '1.5'"):
        checked_by(settings, int)("1.5")
