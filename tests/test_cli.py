"""The command line as a whole (digit_app/__main__.py): every command listed, every argument out of range refused
in one sentence with exit code 2. Each group of commands has its file: tests/test_cli_reading.py for
digit_app/cli/reading.py, and so on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from digit_app.__main__ import parser
from digit_app.cli import database, measuring, reading, shipped, training
from tests.command_line import ROOT, run

COMMANDS = {  # each command, as `--help` lists them, with the arguments it needs and its handler
    "predict": (["seven.png"], reading.predict), "train": ([], training.train),
    "combine": (["a.keras", "b.keras"], training.combine), "evaluate": ([], measuring.evaluate),
    "calibrate": (["--data", "mnist"], measuring.calibrate), "pen-digits": (["pen.tra"], shipped.pen_digits),
    "segments": ([], shipped.segments), "line-reader": ([], shipped.line_reader), "status": ([], database.status),
    "versions": ([], database.versions), "trainer": ([], database.trainer),
}


def test_each_command_runs_its_group_s_handler():
    for name, (args, handler) in COMMANDS.items():
        assert parser().parse_args([name, *args]).run is handler


def test_help_lists_every_command_in_order_without_loading_numpy_or_tensorflow():
    """`--help` builds no command's arguments: their settings' imports (NumPy, SciPy, Keras) wait for the command."""
    script = ("import sys\nfrom digit_app.__main__ import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
              "    pass\nprint(sorted({'numpy', 'scipy', 'tensorflow', 'keras', 'sqlalchemy'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    help_text, loaded = result.stdout.rsplit("\n", 2)[:2]
    assert loaded == "[]"
    listed = [line.split()[0] for line in help_text.split("positional arguments:")[1].splitlines()[2:]
              if line.startswith("    ") and not line.startswith("     ")]
    assert listed == list(COMMANDS)


def test_an_unknown_command_is_one_line_and_exit_code_2(capsys):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["fly"])
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: argument COMMAND: invalid choice: 'fly'") and line.endswith("--help)")


@pytest.mark.slow
@pytest.mark.parametrize(("command", "flags", "message"), [
    ("segments", ["--epochs", "0"], "argument --epochs: a whole number from 1 to 200 is wanted, not '0'"),
    ("segments", ["--numbers", "0"], "argument --numbers: a whole number from 20 to 20000 is wanted, not '0'"),
    ("segments", ["--numbers", "1e8"], "argument --numbers: a whole number from 20 to 20000 is wanted, not '1e8'"),
    ("segments", ["--numbers", "100000000"], "a whole number from 20 to 20000 is wanted, not '100000000'"),
    ("segments", ["--seed", "-3"], "argument --seed: a whole number from 0 to 4294967295 is wanted"),
    ("train", ["--epochs", "100000"], "argument --epochs: epochs must be between 1 and 500, got 100000"),
    ("train", ["--batch-size", "0"], "argument --batch-size: batch size must be between 1 and 4096, got 0"),
    ("train", ["--learning-rate", "nan"], "argument --learning-rate: a number is wanted, not 'nan'"),
    ("train", ["--learning-rate", "5"], "learning rate must be above 0 and at most 1, got 5.0"),
    ("train", ["--width", "1.5"], "argument --width: a whole number is wanted, not '1.5'"),
    ("train", ["--stroke-epochs", "-1"], "stroke epochs must be between 1 and 500, got -1"),
    ("train", ["--rotation", "inf"], "argument --rotation: a number is wanted, not 'inf'"),
    ("train", ["--noise", "-0.5"], "augmentation noise must be between 0 and 1.0, got -0.5"),
    ("train", ["--corrections-repeat", "5000"], "a whole number from 0 to 1000 is wanted, not '5000'"),
    ("train", ["--seed", "1e3"], "argument --seed: a whole number from 0 to 4294967295 is wanted, not '1e3'"),
])
def test_every_argument_out_of_range_is_one_sentence_and_exit_code_2(tmp_path, command, flags, message):
    result = run(command, *flags, "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
    assert list(tmp_path.iterdir()) == []  # refused before any work
