"""Composition root: builds settings, store, retriever and models once; everything else receives them."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from copilot.calendar import Calendar, CalendarImport
from copilot.chatimport import ImportResult, import_chat
from copilot.config import Settings
from copilot.draft import DayContext, Draft, Drafter
from copilot.errors import ConfigError, InputError
from copilot.ingest import FileProgress, ingest_files, install_persona, recover
from copilot.llm import Chat, build_chat, build_embedding
from copilot.llm_writer import LLMWriter
from copilot.persona import load_persona
from copilot.profile import VoiceProfile, learn_profile
from copilot.push import SharedRateLimiter
from copilot.records import IngestReport, Persona
from copilot.retrieve import HybridRetriever
from copilot.review import Record, ReviewStore
from copilot.rhythm import ActivityStore
from copilot.saved_settings import apply_saved
from copilot.store import KnowledgeStore
from copilot.template_writer import TemplateWriter
from copilot.voice import VoiceScore, VoiceScorer
from copilot.workspace import pending, write_lock
from copilot.writers import Writer

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "knowledge"
VOICE_SAMPLE = 1000  # posts the voice is learned from (highest engagement first); bounds the cost at any store size


class _Shared:
    """Voice profiles and scorers by content (persona file bytes, sampled posts, embedding), shared by every Services
    in the process: a second workspace with the same persona and posts (a copy, the same brand opened again) reuses
    what the first one learned instead of spending seconds recalibrating identical numbers."""

    def __init__(self, size: int = 4) -> None:
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple, build: Callable[[], Any]) -> Any:
        """The value for key, built (outside the lock) when missing; the oldest entries are dropped."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (a test that must see a Services build its own)."""
        with self._lock:
            self._items.clear()


_SHARED = _Shared()


def forget_shared() -> None:
    """Drop the process-wide voice profiles and scorers, so the next Services learns its own."""
    _SHARED.clear()


class Services:
    """One brand workspace (COPILOT_HOME) with its wired components."""

    def __init__(self, settings: Settings | None = None) -> None:
        # what the 设置 tab saved fills in whatever the environment / .env left unset
        self.settings = apply_saved(settings or Settings())
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sample: tuple[tuple, tuple, list[str]] | None = None
        self._profile: tuple[tuple, VoiceProfile] | None = None
        self._scorer: tuple[tuple, VoiceScorer] | None = None
        self._chat: Chat | None = build_chat(self.settings)

    @property
    def chat(self) -> Chat | None:
        """The configured chat model, or None (template drafter)."""
        return self._chat

    def configure_llm(self, settings: Settings) -> None:
        """Swap the LLM settings at run time (the 设置 tab); the store and review DB stay."""
        self.settings = settings
        self._chat = build_chat(settings)

    @cached_property
    def review(self) -> ReviewStore:
        """The SQLite review queue."""
        return ReviewStore(self.settings.db_path)

    @cached_property
    def calendar(self) -> Calendar:
        """The activity calendar (活动日历), in the workspace SQLite file."""
        return Calendar(self.settings.db_path)

    def writer(self) -> Writer:
        """The one place that decides how drafts are written: the configured model, else the templates."""
        protect = self._protect()
        template = TemplateWriter(self.profile(), protect)
        if self.chat is None:
            return template
        return LLMWriter(self.chat, budget=self.settings.prompt_budget, fallback=template)

    def _protect(self) -> tuple[str, ...]:
        p = self.persona()
        return tuple(x for x in (p.brand, p.name, *(g.name for g in p.groups)) if x)

    @cached_property
    def store(self) -> KnowledgeStore:
        """The Chroma-backed knowledge store."""
        suffix, embedding = build_embedding(self.settings)
        store = KnowledgeStore(
            self.settings.chroma_dir, embedding, suffix, url=self.settings.chroma_url, home=self.settings.home
        )
        # A file left half-imported by a killed ingest is rolled back before anyone reads it (unless an ingest
        # is running right now: then the journal is that ingest's own and it will clear it).
        if pending(self.settings.home) is not None and write_lock(self.settings.home).try_hold():
            recover(store)
        return store

    @cached_property
    def push_limiter(self) -> SharedRateLimiter:
        """The group robots' 20-per-minute limit, kept in the workspace so every process shares it."""
        return SharedRateLimiter(self.settings.home / "push_rate.sqlite3")

    @cached_property
    def retriever(self) -> HybridRetriever:
        """Hybrid semantic + BM25 retriever over the store."""
        return HybridRetriever(self.store)

    def persona(self) -> Persona:
        """The workspace persona; raises ConfigError when none was ingested yet."""
        path = self.settings.persona_path
        if not path.exists():
            raise ConfigError(
                "工作区还没有人设文件：请先运行 copilot ingest --persona 人设.yaml（或 copilot init 导入示例品牌）"
            )
        return load_persona(path, self.settings.max_persona_kb * 1024)

    def _voice_sample(self) -> tuple[tuple, list[str]]:
        """(key, texts) the voice is learned from: the persona's best-performing posts, capped so the cost stays
        flat as the workspace grows; the key changes only when the persona file or these posts change."""
        path = self.settings.persona_path
        fast = (path.stat().st_mtime_ns if path.exists() else 0, self.store.version)
        cached = self._sample
        if cached is not None and cached[0] == fast:
            return cached[1], cached[2]
        rows = self.store.index.texts(VOICE_SAMPLE)
        digest = hashlib.sha1("\x00".join(f"{pid}\x01{text}" for pid, text in rows).encode()).hexdigest()
        key = (fast[0], digest)
        texts = [text for _, text in rows]
        self._sample = (fast, key, texts)
        return key, texts

    def _content_key(self, key: tuple) -> tuple:
        """What a profile or scorer depends on, by content: the persona file's bytes, the sampled posts' digest
        and the embedding (collection suffix names the model)."""
        persona = hashlib.sha1(self.settings.persona_path.read_bytes()).hexdigest()
        return (persona, key[1], self.store.suffix, self.settings.embedding_base_url)

    def profile(self) -> VoiceProfile:
        """The persona's voice profile, relearned only when the persona file or its sampled posts change."""
        with self._lock:
            key, texts = self._voice_sample()
            if self._profile is None or self._profile[0] != key:
                persona = self.persona()
                profile = _SHARED.get(("profile", *self._content_key(key)), lambda: learn_profile(persona, texts))
                self._profile = (key, profile)
            return self._profile[1]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts with the store's embedding function (one model for retrieval and voice)."""
        return np.asarray(self.store.embedding(texts), dtype=np.float32)

    def _embed_cached(self, texts: list[str]) -> np.ndarray:
        """Embeddings kept in the workspace index: the scorer's calibration texts are embedded once, not per run."""
        return self.store.index.cached_embed(texts, self.embed, salt=self.store.suffix)

    def scorer(self) -> VoiceScorer:
        """The voice scorer for the workspace persona, rebuilt only when the persona or its sampled posts change."""
        profile = self.profile()  # learned once and shared; taken before the (non-reentrant) lock
        with self._lock:
            key, texts = self._voice_sample()
            if self._scorer is None or self._scorer[0] != key:
                persona = self.persona()
                shared = _SHARED.get(
                    ("scorer", *self._content_key(key)),
                    lambda: VoiceScorer(
                        persona, texts, embed=self.embed, profile=profile, own_embed=self._embed_cached
                    ),
                )
                self._scorer = (key, shared.using(self.embed, self._embed_cached))
            return self._scorer[1]

    def judge(self, text: str) -> dict:
        """The optional LLM judge (rubric + both-order pairwise vs the persona's best post), or an error dict."""
        from copilot.errors import LLMError
        from copilot.judge import judge

        if self.chat is None:
            return {"error": "没有配置大模型"}
        best = self.retriever.top_posts(k=1)
        exemplar = best[0].post.text if best else ""
        try:
            return judge(self.chat, self.persona(), text, exemplar).as_dict()
        except LLMError as exc:
            return {"error": str(exc)}

    def warm(self) -> None:
        """Load what the first request would otherwise wait for: jieba, the tokenizer, the voice profile and scorer."""
        from copilot.tokens import count_tokens

        self.retriever.warm()
        count_tokens("预热")
        if self.settings.persona_path.exists():
            self.profile()
            self.scorer()

    def drafter(self) -> Drafter:
        """A drafter wired to the current persona, retriever, profile and model."""
        return Drafter(
            self.persona(), self.retriever, self.writer(), self.calendar, concurrency=self.settings.llm_concurrency
        )

    def draft_day(
        self,
        group: str | None = None,
        day: dt.date | None = None,
        *,
        save: bool = True,
        author: str = "副驾",
        notes: str = "",
        progress: Callable[[int, int, Draft], None] | None = None,
    ) -> list[tuple[Draft, Record | None]]:
        """Draft a group's day, avoiding the last 7 days' subjects; finished drafts go to the review queue."""
        drafter = self.drafter()
        name = drafter.group(group).name
        day = day or dt.date.today()
        sources, subjects = self.review.recent(name, day.isoformat())
        ages, texts = self.review.history(name, day.isoformat())
        drafts = drafter.day(name, day, DayContext(sources, subjects, notes, ages, texts), progress=progress)
        return [(d, self.queue(d, author) if save and d.status == "ok" else None) for d in drafts]

    def check(self, text: str, day: dt.date | None = None, group: str | None = None) -> list:
        """Freshness and internal warnings of any text (the `copilot check` command and edits in the queue)."""
        drafter = self.drafter()
        g = drafter.group(group) if group else None
        return drafter.check(text, day or dt.date.today(), g)

    def assess(self, text: str) -> tuple[VoiceScore, tuple[str, ...]]:
        """The voice score and the compliance flags (广告法 / 敏感词 / 人设禁用词) of a text."""
        from copilot.checks import check, flag_labels, workspace_sensitive_words

        flags = check(text, self.persona().taboo, workspace_sensitive_words(self.settings.home))
        return self.scorer().score(text), flag_labels(flags)

    def queue(self, draft: Draft, author: str) -> Record:
        """Put a finished draft into the review queue, scored and flagged."""
        score, flags = self.assess(draft.text)
        return self.review.add(draft, author=author, voice_score=score.score, flags=flags)

    def run_eval(
        self, suite: str, baseline: Path | None = None, progress: Callable[[int, int, str], None] | None = None
    ) -> tuple[dict, dict[str, Path], list[str]]:
        """Run an eval suite with the current drafter; writes reports under COPILOT_HOME/evals."""
        import json

        from copilot.evaluate import compare, load_suite, run_suite, write_report

        spec = load_suite(Path(suite))
        base = None
        if baseline is not None:
            try:
                base = json.loads(Path(baseline).read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"基线文件读不了：{exc}", file=str(baseline)) from None

        def day(group: str | None, day: dt.date) -> list[Draft]:
            return [d for d, _ in self.draft_day(group, day, save=False)]

        result = run_suite(spec, self.drafter(), self.scorer(), day, progress)
        regressions = compare(result, base) if base else []
        paths = write_report(result, self.settings.home / "evals", regressions)
        return result.as_dict(), paths, regressions

    def ingest(
        self,
        files: Sequence[Path],
        docs: Sequence[Path] = (),
        persona: Path | None = None,
        progress: FileProgress | None = None,
        names: dict[Path, str] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Install a persona (if given) and ingest posts and documents, one writer per workspace at a time."""
        refused: list[str] = []
        # The lock is taken before the store is first opened: a second process opens it only after the first
        # writer is done, so it never works on a stale index.
        with write_lock(self.settings.home).hold(on_wait):
            if persona is not None:
                try:
                    install_persona(persona, self.settings.persona_path, self.settings.max_persona_kb * 1024)
                except InputError as exc:
                    refused.append(str(exc))
            report = ingest_files(
                self.store,
                files,
                docs,
                limits=self.settings.limits(),
                progress=progress,
                names=names,
                batch=self.settings.ingest_batch,
            )
        if refused:
            report = IngestReport(report.added, report.skipped, tuple(refused) + report.refused, report.files)
        return report

    def import_calendar(self, paths: Sequence[Path], names: dict[Path, str] | None = None) -> CalendarImport:
        """Import activity-calendar files under the upload limits; each file is all-or-nothing, and a refused file
        never stops the others."""
        groups = [g.name for g in self.persona().groups] if self.settings.persona_path.exists() else None
        added = updated = 0
        refused: list[str] = []
        done: list[str] = []
        for path in paths:
            label = (names or {}).get(path, str(path))
            try:
                a, u = self.calendar.import_file(path, groups, limits=self.settings.limits(), display_name=label)
            except InputError as exc:
                log.warning("calendar file refused %s: %s", label, exc)
                refused.append(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one unreadable file must never stop the others
                log.exception("reading calendar file %s failed", label)
                refused.append(f"文件 {label}：读取失败（{type(exc).__name__}），整个文件未导入")
                continue
            added, updated = added + a, updated + u
            done.append(label)
        return CalendarImport(added, updated, tuple(refused), tuple(done))

    def ingest_demo(self, progress: FileProgress | None = None, only_if_empty: bool = True) -> IngestReport | None:
        """Ingest the bundled demo brand; skipped (None) when the store already has posts."""
        if only_if_empty and self.store.count() > 0 and self.settings.persona_path.exists():
            return None
        report = self.ingest([DEMO_DIR / "posts.jsonl"], [DEMO_DIR / "sop.md"], DEMO_DIR / "persona.yaml", progress)
        groups = [g.name for g in self.persona().groups]
        self.calendar.import_file(DEMO_DIR / "calendar.yaml", groups)
        return report

    @cached_property
    def activity(self) -> ActivityStore:
        """Members' messages by hour from chat imports (COPILOT_HOME/chat.sqlite3)."""
        return ActivityStore(self.settings.home / "chat.sqlite3")

    def import_chat(self, path: Path, ip: str, **options: Any) -> ImportResult:
        """Import a group chat export: the IP's posts with derived metrics, and the group's rhythm."""
        return import_chat(self.store, self.activity, path, ip, **options)

    def rhythm(self, group: str) -> dict:
        """The group's activity by hour, messages per day, active members and slot suggestions."""
        from copilot.persona import DEFAULT_SLOTS
        from copilot.records import Slot
        from copilot.rhythm import suggest_slots

        data = self.activity.summary(group)
        try:
            slots = self.persona().group(group).slots
        except (ConfigError, KeyError):
            slots = tuple(Slot(t, c) for t, c in DEFAULT_SLOTS["引流群"])
        data["slots"] = suggest_slots(data["active_hours"], slots)
        data["suggested_slots"] = [{"time": s["suggested"], "content_type": s["content_type"]} for s in data["slots"]]
        return data

    def stats(self, group: str | None = None) -> dict[str, dict[str, int]]:
        """Counts by content type, topic type and group (counted in SQL, no post is loaded; one group when given)."""
        index = self.store.index
        groups: dict[str, int] = {}
        for name, n in index.counts("grp", group).items():
            label = name or "（全品牌）"
            groups[label] = groups.get(label, 0) + n
        return {
            "content_type": index.counts("content_type", group),
            "topic_type": {k: v for k, v in index.counts("topic_type", group).items() if k},
            "group": groups,
        }


def build(settings: Settings | None = None) -> Services:
    """The one place the app and the CLI get their wiring from."""
    return Services(settings)
