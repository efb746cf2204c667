"""The operator's review workflow on top of the drafter: generate → edit → approve → export / push → feedback."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from copilot.draft import DayContext, Draft
from copilot.errors import CopilotError, InputError
from copilot.export import to_csv, to_xlsx, write_markdown
from copilot.push import push
from copilot.records import TOPIC_TYPES, Post
from copilot.review import NeedsAckError, Record
from copilot.services import Services
from copilot.voice import explain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    """What the reviewer sees next to a draft."""

    score: float
    """Voice score 0-100."""
    ai_flavor: float
    """AI flavour 0-1."""
    explanation: str
    """Chinese explanation of the score."""
    flags: tuple[str, ...]
    """Compliance warnings (广告法 / 敏感词 / 人设禁用词); warnings only, never a block."""


class Workflow:
    """Review actions for one workspace; every change is versioned in the review store."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @property
    def review(self):  # noqa: ANN201 - the ReviewStore
        """The review store."""
        return self.svc.review

    def assess(self, text: str) -> Assessment:
        """Voice score, AI flavour and compliance flags for a text."""
        s, flags = self.svc.assess(text)
        return Assessment(s.score, s.ai_flavor, explain(s), flags)

    def generate_day(
        self,
        group: str | None,
        day: dt.date,
        author: str,
        progress: Callable[[int, int, Draft], None] | None = None,
        notes: str = "",
    ) -> list[Record | Draft]:
        """Draft the whole day; finished slots are saved (scored and flagged), failed ones come back as Drafts."""
        pairs = self.svc.draft_day(group, day, save=True, author=author, notes=notes, progress=progress)
        return [rec if rec is not None else d for d, rec in pairs]

    def save_new(self, draft: Draft, author: str) -> Record:
        """Queue any finished draft (intro, topic, script, rewrite) for review."""
        return self.svc.queue(draft, author)

    def warnings_for(self, rec: Record, text: str) -> tuple:
        """The freshness and internal warnings of a new text for a stored draft (its own day and group)."""
        day = dt.date.fromisoformat(rec.date) if rec.date else dt.date.today()
        known = {g.name for g in self.svc.persona().groups}
        return tuple(self.svc.check(text, day, rec.group if rec.group in known else None))

    def edit(self, rid: str, text: str, version: int | None, author: str, note: str = "编辑") -> Record:
        """Save an edit as a new version (version-checked; approved drafts must be reopened first)."""
        a = self.assess(text)
        warnings = self.warnings_for(self.review.get(rid), text)
        return self.review.edit(
            rid,
            text,
            author=author,
            expected_version=version,
            note=note,
            voice_score=a.score,
            flags=a.flags,
            warnings=warnings,
        )

    def approve(self, rid: str, version: int | None, author: str, ack_warnings: bool = False) -> Record:
        """Approve the version the reviewer was looking at; warnings need an explicit acknowledgement."""
        return self.review.approve(rid, author=author, expected_version=version, ack_warnings=ack_warnings)

    def reject(self, rid: str, reason: str, version: int | None, author: str) -> Record:
        """Reject with a reason."""
        return self.review.reject(rid, author=author, reason=reason, expected_version=version)

    def reopen(self, rid: str, author: str) -> Record:
        """Reopen an approved or rejected draft for editing."""
        return self.review.reopen(rid, author=author)

    def bulk_approve(self, ids: list[str], author: str) -> tuple[list[str], list[str]]:
        """Approve the selected drafts; those with warnings are skipped and counted. (approved ids, messages)."""
        if not ids:
            raise InputError("没有选中任何草稿：请先勾选或填写要通过的草稿编号")
        done, errors, skipped = [], [], 0
        for rid in ids:
            try:
                self.review.approve(rid, author=author)  # the warning check runs inside approve's transaction
                done.append(rid)
            except NeedsAckError:
                skipped += 1
            except CopilotError as exc:
                errors.append(f"{rid}：{exc}")
        if skipped:
            errors.insert(
                0,
                f"跳过了 {skipped} 条有提示的草稿（过期日期、内部信息等）：请逐条核对后在卡片上勾选「已核对提示」再通过",
            )
        return done, errors

    def regenerate(self, rid: str, version: int | None, author: str, notes: str = "") -> Iterator[str | Record]:
        """Redraft a day slot (streamed when a model is configured) and save it as a new version."""
        rec = self.review.get(rid)
        if rec.kind != "day":
            raise InputError("只有「今日内容」的时段草稿可以重新生成")
        if rec.state in ("approved", "published"):
            raise InputError(f"草稿现在是「{rec.state_label}」，要重新生成请先「重新打开」")
        drafter = self.svc.drafter()
        day = dt.date.fromisoformat(rec.date)
        sources, subjects = self.review.recent(rec.group, rec.date)
        ages, texts = self.review.history(rec.group, rec.date)
        ages = {**ages, **dict.fromkeys(rec.sources, 0)}  # a regenerated slot says something else
        ctx = DayContext(sources | set(rec.sources), (rec.text[:40], *subjects), notes, ages, ((0, rec.text), *texts))
        final: Draft | None = None
        for part in drafter.stream_slot(rec.group, rec.slot_time, day, ctx, index=rec.version * 7 + 1):
            if isinstance(part, str):
                yield part
            else:
                final = part
        if final is None or final.status != "ok":
            raise InputError(f"重新生成失败：{final.error if final else '没有结果'}（原草稿保持不变）")
        a = self.assess(final.text)
        yield self.review.edit(
            rid,
            final.text,
            author=author,
            expected_version=version,
            note="重新生成",
            voice_score=a.score,
            flags=a.flags,
            model=final.model,
            prompt=final.prompt,
            sources=final.sources,
            warnings=final.warnings,
            operator_note=final.note,
        )

    def voice_rewrite(self, rid: str, text: str, version: int | None, author: str) -> Record:
        """Rewrite the current text in the persona's voice and save it as a new version."""
        out = self.svc.drafter().rewrite(text)
        return self.edit(rid, out.text, version, author, note="人设改写")

    def export(
        self, fmt: str, directory: Path, *, date: str = "", group: str = "", since: str = "", until: str = ""
    ) -> Path:
        """Export approved (and published) posts in slot order as md, csv or xlsx."""
        records = [
            r
            for r in self.review.list(date=date, group=group, since=since, until=until)
            if r.state in ("approved", "published")
        ]
        if not records:
            raise InputError("没有已通过的内容可导出：先在审核队列里通过几条")
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"群发内容-{date or (since + '_' + until if since or until else '全部')}"
        path = directory / f"{stem}.{fmt}"
        if fmt == "md":
            return write_markdown(records, path)
        if fmt == "csv":
            return to_csv(records, path)
        if fmt == "xlsx":
            return to_xlsx(records, path)
        raise InputError(f"不支持的导出格式「{fmt}」，可选 md / csv / xlsx")

    def push(self, rid: str, url: str, msgtype: str, author: str) -> Record:
        """Push an approved draft to a WeCom group robot and record the result on the draft."""
        rec = self.review.get(rid)
        if rec.state not in ("approved", "published"):
            raise InputError("只能推送已通过的草稿")
        result = push(url, rec.text, msgtype, limiter=self.svc.push_limiter)
        if result.ok:
            return self.review.publish(rid, author=author, result=result.message)
        self.review.note_push_failure(rid, author=author, result=result.message)
        raise InputError(result.message)

    def mark_published(self, rid: str, author: str) -> Record:
        """Mark as published when the operator posted it by hand."""
        return self.review.publish(rid, author=author, result="运营手动发布")

    def feedback(self, rid: str, metrics: dict[str, int], author: str) -> Record:
        """Record a published post's performance and feed it back into the knowledge base as a past post."""
        rec = self.review.get(rid)
        if rec.state != "published":
            raise InputError("只有已发布的内容才能记录表现")
        clean = {k: int(metrics.get(k, 0) or 0) for k in ("replies", "reactions", "signups", "clicks")}
        if any(v < 0 for v in clean.values()):
            raise InputError("互动数据不能是负数")
        rec = self.review.record_metrics(rid, clean, author=author)
        ctype = rec.content_type if rec.kind == "day" else {"intro": "自我介绍", "topic": "话题"}.get(rec.kind, "其他")
        topic = rec.title if rec.kind == "topic" and rec.title in TOPIC_TYPES else ""
        self.svc.store.upsert(
            Post(
                id=f"draft-{rec.id}",
                text=rec.text,
                content_type=ctype,
                topic_type=topic,
                group=rec.group,
                date=rec.date,
                source="审核队列",
                **clean,
            )
        )
        return rec
