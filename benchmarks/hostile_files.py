"""Memory spent on files that are refused: each must cost at most 2x its size on disk + 300 MB.

    python benchmarks/hostile_files.py

Makes small files that claim to be huge (a .keras whose config.json unpacks to 500 MB, an .npz whose
header claims a billion images, a PNG of 400 megapixels, a corrections file of a million entries),
then, for each, a fresh process imports the app, notes its memory, tries the file, and reports the
message and how much its peak memory (ru_maxrss) grew.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import resource, sys
from pathlib import Path
kind, path = sys.argv[1], Path(sys.argv[2])
from digit_app import images, model
from digit_app.store import corrections
from digit_app.training import data
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if kind == "model":
        model.load_classifier(path)
    elif kind == "data":
        data.load_mnist(path)
    elif kind == "image":
        images.load_image(path.read_bytes())
    else:
        corrections.CorrectionStore(path.with_suffix(".sqlite")).import_npz(path.read_bytes())
    outcome = "ACCEPTED"
except (model.ModelLoadError, data.DataError, images.ImageLoadError, corrections.CorrectionsError) as error:
    outcome = str(error).splitlines()[0][:90]
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(f"{grown:.0f}|{outcome}")
"""


def npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    return b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 64


def make_files(folder: Path) -> list[tuple[str, Path, str]]:
    padded = folder / "padded.keras"
    with zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("config.json", "w", force_zip64=True) as member:
            member.write(b"{")
            for _ in range(500):
                member.write(b" " * 1_000_000)
            member.write(b"}")
        archive.writestr("metadata.json", "{}")
    huge_data = folder / "huge.npz"
    with zipfile.ZipFile(huge_data, "w") as archive:
        for key in ("x_train", "x_test"):
            archive.writestr(f"{key}.npy", npy_header((10**9, 28, 28)))
        for key in ("y_train", "y_test"):
            archive.writestr(f"{key}.npy", npy_header((10**9,)))
    bomb = folder / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb)
    many = folder / "many.npz"
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("images.npy", npy_header((10**6, 28, 28)))
        archive.writestr("labels.npy", npy_header((10**6,)))
    return [("model", padded, ".keras, config.json unpacking to 500 MB"),
            ("data", huge_data, ".npz claiming 10^9 images"),
            ("image", bomb, "PNG of 400 megapixels"),
            ("corrections", many, "corrections claiming 10^6 entries")]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for kind, path, what in make_files(Path(folder)):
            result = subprocess.run([sys.executable, "-c", PROBE, kind, str(path)], capture_output=True, text=True,
                                    cwd=ROOT, timeout=600, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin"})
            grown, _, outcome = result.stdout.strip().rpartition("\n")[2].partition("|")
            size = path.stat().st_size / 1e6
            limit = 2 * size + 300
            verdict = "within" if grown and float(grown) <= limit else "OVER"
            print(f"{what:<40} {size:7.2f} MB on disk   peak memory +{grown or '?':>5} MB "
                  f"(limit {limit:.0f}: {verdict})   {outcome or result.stderr.strip()[-120:]}")


if __name__ == "__main__":
    main()
