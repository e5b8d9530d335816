"""Memory spent on hostile files: each must cost at most 2x its unpacked size + 300 MB, and never over 1 GB.

    python benchmarks/hostile_files.py

Makes small files that claim or unpack to a lot (a .keras whose config.json unpacks to 500 MB, an
.npz whose header claims a billion images, a PNG of 400 megapixels, a corrections file of a million
entries, a 1.9 MB upload of 1.9 GB of float64 zeros, an upload of 590 MB of float64 zeros just under
the cap, the Retrain page's preview of that file, a corrections import whose 'predicted' is 800 MB
of zeros), then, for each, a fresh process imports the app, notes its memory, tries the file, and
reports the message and how much its peak memory grew above what it held before (VmHWM).
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
LIMIT_MB = 1000  # no file may cost more, whatever it unpacks to
ZERO_BLOCK = bytes(16 * 2**20)
# The peak is the kernel's VmHWM, reset just before the action (clear_refs): ru_maxrss would carry
# this script's own peak into the probe, which inherits it across fork and exec and hides anything smaller.
PROBE = """
import sys
from pathlib import Path
kind, path = sys.argv[1], Path(sys.argv[2])
from digit_app import images, model
from digit_app.store import corrections
from digit_app.training import data, sources

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from what is resident now
before = status("VmRSS")
try:
    if kind == "model":
        model.load_classifier(path)
    elif kind == "data":
        data.load_training_data(path)
    elif kind == "upload":
        sources.keep_upload(path.read_bytes(), path.parent / "kept")
    elif kind == "preview":
        data.preview_images(path, 16)
    elif kind == "image":
        images.load_image(path.read_bytes())
    else:
        corrections.read_npz(path.read_bytes())  # what an import checks before it adds anything
    outcome = "ACCEPTED"
except (model.ModelLoadError, data.DataError, images.ImageLoadError, corrections.CorrectionsError) as error:
    outcome = str(error).splitlines()[0][:90]
print(f"{status('VmHWM') - before:.0f}|{outcome}")
"""


def npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    return header.getvalue()


def zeros_npz(path: Path, arrays: dict[str, tuple[tuple[int, ...], str]]) -> Path:
    """An .npz of zeros, compressed, written a block at a time: gigabytes unpacked, megabytes on disk."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, (shape, dtype) in arrays.items():
            size = int(np.prod(shape)) * np.dtype(dtype).itemsize
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                member.write(npy_header(shape, dtype))
                for start in range(0, size, len(ZERO_BLOCK)):
                    member.write(ZERO_BLOCK[: min(len(ZERO_BLOCK), size - start)])
    return path


def mnist_like(images: int, tests: int) -> dict[str, tuple[tuple[int, ...], str]]:
    """MNIST's four arrays, all float64."""
    return {"x_train": ((images, 28, 28), "<f8"), "y_train": ((images,), "<f8"),
            "x_test": ((tests, 28, 28), "<f8"), "y_test": ((tests,), "<f8")}


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
            archive.writestr(f"{key}.npy", npy_header((10**9, 28, 28)) + b"\x00" * 64)
        for key in ("y_train", "y_test"):
            archive.writestr(f"{key}.npy", npy_header((10**9,)) + b"\x00" * 64)
    bomb = folder / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb)
    many = folder / "many.npz"
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("images.npy", npy_header((10**6, 28, 28)) + b"\x00" * 64)
        archive.writestr("labels.npy", npy_header((10**6,)) + b"\x00" * 64)
    floats = zeros_npz(folder / "floats.npz", mnist_like(300_000, 10_000))  # 1.9 GB, under the old 2 GB cap
    under_cap = zeros_npz(folder / "under_cap.npz", mnist_like(90_000, 4_000))  # 590 MB, under the 600 MB cap
    guesses = zeros_npz(folder / "guesses.npz", {"images": ((3, 28, 28), "|u1"), "labels": ((3,), "|u1"),
                                                 "predicted": ((10**8,), "<i8")})
    return [("model", padded, ".keras, config.json unpacking to 500 MB"),
            ("data", huge_data, ".npz claiming 10^9 images"),
            ("image", bomb, "PNG of 400 megapixels"),
            ("corrections", many, "corrections claiming 10^6 entries"),
            ("upload", floats, "upload of 1.9 GB of float64"),
            ("upload", under_cap, "upload of 590 MB of float64 (kept)"),
            ("preview", under_cap, "Retrain preview of that 590 MB file"),
            ("corrections", guesses, "corrections, 'predicted' 800 MB of zeros")]


def unpacked_mb(path: Path) -> float:
    """What a file unpacks to by its zip directory (its size on disk if it is no zip), in MB."""
    if not zipfile.is_zipfile(path):
        return path.stat().st_size / 1e6
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist()) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for kind, path, what in make_files(Path(folder)):
            result = subprocess.run([sys.executable, "-c", PROBE, kind, str(path)], capture_output=True, text=True,
                                    cwd=ROOT, timeout=600, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin"})
            grown, _, outcome = result.stdout.strip().rpartition("\n")[2].partition("|")
            size, unpacked = path.stat().st_size / 1e6, unpacked_mb(path)
            limit = min(2 * unpacked + 300, LIMIT_MB)
            verdict = "within" if grown and float(grown) <= limit else "OVER"
            print(f"{what:<42} {size:7.2f} MB on disk, {unpacked:7.0f} MB unpacked   peak memory "
                  f"+{grown or '?':>5} MB (limit {limit:.0f}: {verdict})   {outcome or result.stderr.strip()[-120:]}")


if __name__ == "__main__":
    main()
