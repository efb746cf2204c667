"""The offline writer: authored templates filled from the persona, the calendar, the notes and masked examples."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import yaml

from copilot import template as tpl
from copilot import timefacts as tf
from copilot.calendar import Active
from copilot.checks import check
from copilot.errors import NothingNew
from copilot.profile import VoiceProfile
from copilot.prompts import render_template
from copilot.records import Persona
from copilot.rewrite import rewrite
from copilot.tokens import count_tokens
from copilot.writers import DraftContext, Example, TopicText, Written

TEMPLATE_MODEL = "template"
REPEAT_DAYS = 14
"""A lesson built on a past post is not built on it again in the same group within this many days."""


@lru_cache(maxsize=2)
def activity_templates() -> dict:
    """prompts/templates/活动.yaml: activity posts by stage."""
    return yaml.safe_load((tpl.TEMPLATE_DIR / "活动.yaml").read_text("utf-8"))


def _key_fact(facts: str) -> str:
    """The first clause of an entry's facts (verbatim), for short reminders."""
    first = re.split(r"(?<=[；;。])", facts.strip(), maxsplit=1)[0].strip()
    return first.rstrip("；;") + ("。" if first and first[-1] not in "。！？" else "") if first else ""


def first_person(persona: Persona) -> Callable[[str], str]:
    """Turn the persona's third-person intro fields into first person: 阿禾挨个回 → 我挨个回, 阿禾爸 → 我爸."""
    name = re.escape(persona.name)

    def convert(text: str) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        if re.match(rf"^{name}[，,、\s]", text):
            text = "我是" + text
        return re.sub(rf"(?<!我是)(?<!「){name}(?![」·])", "我", text)

    return convert


def _sentence(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in "。！～!" else text + "。"


def _clause(text: str, name: str) -> str:
    """The first clause of a field, without a leading 我是<name>, never cut inside brackets."""
    text = re.sub(rf"^我是{re.escape(name)}[，,、\s]*", "", (text or "").strip())
    depth, out = 0, []
    for ch in text:
        if ch in "（(「《【":
            depth += 1
        elif ch in "）)」》】":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in "。！；;，,":
            break
        out.append(ch)
    return "".join(out).strip()


def _title(opening: str, ctx: DraftContext) -> str:
    """A short name for a topic: its question."""
    questions = re.findall(r"[^。！？\n]*？", opening)
    if questions:
        title = questions[-1]
    else:
        lines = [ln for ln in opening.splitlines() if ln.strip()]
        title = re.split(r"[。！～]", lines[-1])[0] if lines else ctx.topic_type
    title = re.sub(r"^(?:你呢|那你呢|那么)[？，]?", "", title.strip("，。 "))
    return title[:30] or ctx.topic_type


def activity_variables(ctx: DraftContext, act: Active) -> dict:
    """Variables of an activity post: the entry's name and facts, and where we are in it."""
    e, day = act.entry, ctx.date
    assert day is not None
    to_start = (e.start - day).days
    peak = next((first for s, first, _ in e.stages if s == "爆破"), None)
    if peak and peak > day:  # counted to the peak's date, which is neutral about what happens then
        days = (peak - day).days
        when = (
            f"离 {peak.month} 月 {peak.day} 日还有 {days} 天"
            if days > 1
            else f"明天（{peak.month} 月 {peak.day} 日）就到了"
        )
        countdown = (
            f"离 {peak.month} 月 {peak.day} 日还有 {days} 天"
            if days > 1
            else f"明天（{peak.month} 月 {peak.day} 日）就到了"
        )
        if peak == e.end and tf.start_minutes(e.facts) is None:  # the big day is a deadline: a sign-up, a sale
            when = countdown = (
                f"离 {peak.month} 月 {peak.day} 日截止还有 {days} 天"
                if days > 1
                else f"明天（{peak.month} 月 {peak.day} 日）截止"
            )
    elif to_start > 0:
        when, countdown = f"还有 {to_start} 天开始", f"还有 {to_start} 天开始"
    else:
        when, countdown = "已经开始了", "正在进行"
    end_text = f"{e.end.month} 月 {e.end.day} 日"
    if act.days_left == 0:
        end_line = "今天是最后一天。"
    elif act.days_left == 1:
        end_line = f"明天（{end_text}）就是最后一天。"
    elif act.days_left < 7 and f"{e.end.month}月{e.end.day}日" not in e.facts.replace(" ", ""):  # not said twice
        end_line = f"{end_text}结束。"
    else:
        end_line = ""
    p = ctx.persona
    mine = first_person(p)  # the persona posts it: 私信阿禾报名 → 私信我报名
    today_line = "就是今天"
    if act.stage == "爆破" and act.days_to_peak == 0 and e.end == day and tf.start_minutes(e.facts) is None:
        due = tf.deadline_minutes(e.facts)
        today_line = f"今天{_clock_words(due)}截止" if due is not None else "今天截止"
        if due is not None and ctx.slot_time:
            left = due - tf.minute_of_day(ctx.slot_time)
            if 0 < left <= 120:
                today_line = f"还有 {left // 60} 小时就截止了" if left % 60 == 0 else f"还有 {left} 分钟就截止了"
    start = tf.start_minutes(e.facts) if act.stage == "爆破" and act.days_to_peak == 0 else None
    if start is not None and ctx.slot_time:
        left = start - tf.minute_of_day(ctx.slot_time)
        if 0 < left <= 90:
            today_line = "还有半小时就开始了" if left == 30 else f"还有 {left} 分钟就开始了"
        elif left > 90:
            today_line = f"就是今天，{_clock_words(start)}开始"
    n_day = (day - e.start).days + 1
    total = (e.end - e.start).days + 1
    return {
        "today_line": today_line,
        "n_day": n_day,
        "total": total,
        "daily": _daily(e.facts, p),
        "persona": p,
        "address": p.address_form[0] if p.address_form else "大家",
        "e1": tpl.greeting_emoji(p)[ctx.index % len(tpl.greeting_emoji(p))] if p.emoji else "",
        "name": e.name,
        "facts": mine(e.facts),
        "facts_list": facts_list(mine(e.facts)),
        "key_fact": _key_fact(mine(e.facts)) if today_line == "就是今天" else _other_fact(mine(e.facts)),
        "when": when,
        "countdown": countdown,
        "end_line": end_line,
    }


def group_rituals(ctx: DraftContext) -> frozenset[str]:
    """The rituals (作业, 打卡 …) the group has that day: named in its member-facing about or a running entry."""
    running = [a for a in ctx.activities if a.stage == "进行中"]
    about = ctx.group.about if ctx.group else ""
    if ctx.group is not None and ctx.group.type == "学习群" and not running:
        about = ""  # between two cohorts nobody sets or reviews homework, whatever the group's about line says
    text = "\n".join([about, *(a.entry.facts for a in ctx.activities)])
    return frozenset(r for r in tpl.RITUALS if r in text)


def _one_opening(text: str, address: str) -> str:
    """A lesson whose own first line already opens it (说说老茶🌿) does not get a second opening line above it."""
    lines = text.split("\n")
    if len(lines) > 2 and re.match(r"^(讲讲|聊聊|说说|学学)", lines[1]) and len(lines[1]) <= 16:
        return "\n".join([f"{address}，{lines[1]}", *lines[2:]])
    return text


def _said(ctx: DraftContext) -> tuple[set[str], set[str]]:
    """The wording of the last week (n-grams) and every post of the last months (whole bodies), not to repeat."""
    grams: set[str] = set()
    bodies: set[str] = set()
    for age, t in ctx.extra.get("said") or ():
        bodies.add(_body(t, ctx.persona))
        if age <= 7:
            grams |= tpl.grams(t.replace(ctx.persona.signoff, "") if ctx.persona.signoff else t)
    return grams, bodies


def _body(text: str, persona: Persona) -> str:
    return re.sub(r"\s+", "", text.replace(persona.signoff, "") if persona.signoff else text)


def _other_fact(facts: str) -> str:
    """The first clause of the facts that does not repeat the clock time the opening line already gave."""
    for clause in re.split(r"(?<=[；;。])", facts.strip()):
        if clause.strip() and not any(tf.is_clock(m, clause) for m in tf.CLOCK.finditer(clause)):
            return _key_fact(clause)
    return _key_fact(facts)


def facts_list(facts: str) -> str:
    """An entry's facts as short lines when they are a list of several clauses (A；B；C), else as they are."""
    parts = [p.strip() for p in re.split(r"[；;]", facts.strip().rstrip("。")) if p.strip()]
    if len(parts) < 3:
        return facts.strip()
    return "\n".join(f"· {p}" for p in parts)


def _clock_words(minutes: int) -> str:
    """1200 → 晚上 8 点, 870 → 下午 2 点半."""
    h, m = divmod(minutes, 60)
    part = "晚上" if h >= 18 else "下午" if h >= 13 else "中午" if h >= 11 else "上午" if h >= 8 else "早上"
    h12 = h - 12 if h >= 13 else h
    return f"{part} {h12} 点" + ("半" if m == 30 else f" {m} 分" if m else "")


def _daily(facts: str, persona: Persona) -> str:
    """The entry's every-day clause (每天晚上 8 点阿禾在群里点评作业), in the first person."""
    for clause in re.split(r"[；;。\n]", facts):
        if re.search(r"每天|每晚|每日", clause):
            return first_person(persona)(clause.strip()) + "。"
    return ""


def progress_line(ctx: DraftContext, content_type: str) -> str:
    """Where a running programme (a camp, a course: an entry without stages) stands today, for 早安 / 晚安."""
    run = next((a for a in ctx.activities if a.stage == "进行中"), None)
    if run is None or ctx.date is None:
        return ""
    e = run.entry
    n, total = (ctx.date - e.start).days + 1, (e.end - e.start).days + 1
    if content_type == "早安":
        if run.days_left == 0:
            return f"今天是「{e.name}」最后一天，咱们好好收个尾。"
        return f"今天是「{e.name}」第 {n} 天（一共 {total} 天）。{_daily(e.facts, ctx.persona)}"
    if content_type == "晚安":
        if run.days_left == 0:
            return f"「{e.name}」今天就结束了，谢谢大家这 {total} 天一直在。"
        if run.days_left == 1:
            return f"「{e.name}」第 {n} 天到这儿，明天是最后一天。"
        return ""  # the morning says which day it is; the night does not say it again
    return ""


class TemplateWriter:
    """Writes from prompts/templates; facts only from the calendar, the notes and the persona."""

    model = TEMPLATE_MODEL

    def __init__(self, profile: VoiceProfile, protect: tuple[str, ...] = ()) -> None:
        self.profile = profile
        self.protect = protect

    def _voice(self, text: str, sign: bool = True) -> tuple[str, tuple[str, ...]]:
        r = rewrite(text, self.profile, protect=self.protect, light=True, sign=sign)
        return r.text, r.changes

    # ---------------------------------------------------------------- day

    def slot(self, ctx: DraftContext) -> Written:
        """A day slot: an activity post from the calendar, or a post built on a masked evergreen example."""
        if ctx.extra.get("farewell"):
            return self._farewell(ctx)
        if ctx.activity is not None:
            return self._activity(ctx, ctx.activity)
        assert ctx.group is not None and ctx.date is not None
        salt = ctx.index
        rituals = group_rituals(ctx)
        primary = self._pick(ctx, rituals)
        base = primary.text if primary else ""
        if base and ctx.group.type != "学习群":  # a class's 同学 are 茶友 / 家人 in any other group
            member = (ctx.persona.address_form[0] if ctx.persona.address_form else "大家").removesuffix("们")
            base = base.replace("同学们", member + "们").replace("同学", member)
        if base and ctx.persona.name:  # 私信阿果: someone the persona file does not know; members DM the persona
            base = re.sub(
                rf"私信(?!我|{re.escape(ctx.persona.name)})[\u4e00-\u9fff]{{2}}(?=说|聊|问|[，。！])", "私信我", base
            )
        grams, bodies = _said(ctx)
        best: tuple[tuple[int, float], str, str, tuple[str, ...]] | None = None
        n_var = max(len(tpl.load_template(ctx.content_type).variants), 1)
        lines = tpl.closing_lines(ctx.content_type) or [""]
        tries = min(n_var * len(lines), 64)
        if ctx.content_type == "话题":
            tries = max(n_var, min(len(tpl.topic_bank()[ctx.topic_type or "社群自带"]["topics"]), 8))
            same = [e for e in ctx.examples if e.topic_type == (ctx.topic_type or "社群自带")]
            # a story is retold only from a past topic of the same type (a nostalgia topic tells a memory)
            stories = [
                x
                for x in (
                    first_person(ctx.persona)(tpl.own_family(tpl.story_of(e.text, ctx.persona), ctx.persona))
                    for e in same
                )
                if x
            ]
        for k in range(tries):  # every wording of the slot: never a post said before, then the least said lately
            turn = salt + k
            variables = tpl.context(ctx.persona, ctx.group, ctx.date, ctx.slot_time, base, turn, rituals)
            variables["progress"] = progress_line(ctx, ctx.content_type)
            tail = tpl.grams((str(variables.get("ex_core") or "").splitlines() or [""])[-1], 3)
            fit = [
                x
                for x in lines
                if not (variables.get("core_asks") and "？" in x)  # one question is enough
                and not tpl.grams(x, 3) & tail  # nor say the lesson's last words again (对一对 … 对一对)
            ] or lines
            variables["line"] = fit[(turn + k // n_var) % len(fit)]
            if ctx.content_type in ("活动预告", "活动提醒", "公告"):
                variables.update(ex_core=ctx.notes.strip())  # an old notice is stale by definition
            if ctx.content_type == "话题":
                story = stories[k % len(stories)] if stories else ""
                parts = tpl.topic_parts(
                    ctx.topic_type or "社群自带", turn, ctx.persona, story=story, group=ctx.group.name
                )
                variables.update(topic_type=ctx.topic_type or "社群自带", topic_opening=parts["opening"])
            raw, label = tpl.render(ctx.content_type, variables, turn)
            raw = _one_opening(raw, str(variables["address"]))
            text, changes = self._voice(raw)
            said_before = _body(text, ctx.persona) in bodies
            if ctx.content_type == "话题":  # the same question again, whatever its closing line, is a repeat
                asked = _body(str(variables["topic_opening"]).splitlines()[-1], ctx.persona)
                said_before = said_before or any(asked in b for b in bodies)
            score = (int(said_before), tpl.echo(text, grams, ctx.persona.signoff))
            if best is None or score < best[0]:
                best = (score, text, label, changes)
            if score < (0, 0.1):
                break
        assert best is not None
        _, text, label, changes = best
        used = (primary.id,) if primary and ctx.content_type not in ("活动预告", "活动提醒", "公告") else ()
        return Written(text, label, used, count_tokens(text), 0, changes)

    def _pick(self, ctx: DraftContext, rituals: frozenset[str]) -> Example | None:
        """The past post a slot is built on: one this group has not been given yet (whole posts first, in season),
        else the one given longest ago; the k-th slot of a type that day takes the k-th."""
        assert ctx.date is not None
        age: dict[str, int] = dict(ctx.extra.get("source_age") or {})
        for sid in ctx.avoid_sources:
            age.setdefault(sid, 1)
        pool = list(ctx.examples)
        if not pool:
            return None
        day = ctx.date
        score = {e.id: tpl.wholeness(e.text, ctx.persona, rituals) for e in pool}
        usable = [
            e
            for e in pool
            if score[e.id] >= 0.6
            and not tpl.out_of_season(e.text, e.month, day)
            and not check(e.text, ctx.persona.taboo)  # a post the compliance check would flag is no model
        ] or pool
        own = ctx.group.name if ctx.group else ""
        # the group's own posts first (they speak to its members), then the brand's other groups'
        # never given: own posts first, whole ones (nothing cut, not even an opening line) before cut ones;
        # then those given longest ago
        unused = sorted((e for e in usable if e.id not in age), key=lambda e: (e.group != own, score[e.id] < 0.999))
        ranked = unused + sorted((e for e in usable if e.id in age), key=lambda e: -age[e.id])
        pick = ranked[int(ctx.extra.get("type_nth", 0)) % len(ranked)]
        # a cohort never gets the same lesson twice: the window is the running programme's days so far
        run = next((a for a in ctx.activities if a.stage == "进行中"), None)
        window = max(REPEAT_DAYS, (day - run.entry.start).days + 1) if run else REPEAT_DAYS
        if ctx.content_type == "干货" and age.get(pick.id, window) < window:
            raise NothingNew(
                f"往期「{ctx.content_type}」帖只有 {len(pool)} 条能用，最近 {window} 天都发过了：这个时段空着，"
                "免得群友看到重复的内容。请在「知识库」导入更多往期帖，或者手写这一条。"
            )
        return pick

    def _farewell(self, ctx: DraftContext) -> Written:
        assert ctx.group is not None and ctx.date is not None
        g, p = ctx.group, ctx.persona
        close_when = "今天" if g.active_until == ctx.date.isoformat() else "明天"
        tfile = tpl.load_template("告别")
        variables = {
            "address": p.address_form[0] if p.address_form else "大家",
            "e1": p.emoji[0] if p.emoji else "",
            "close_when": close_when,
            "moves_to": g.moves_to,
        }
        text = render_template(tfile.variants[ctx.index % len(tfile.variants)], **variables)
        text, changes = self._voice(re.sub(r"\n{2,}", "\n", text))
        return Written(text, tfile.label, (), count_tokens(text), 0, changes)

    def _activity(self, ctx: DraftContext, act: Active) -> Written:
        bank = activity_templates()
        stage = act.stage if act.stage in bank else "进行中"
        if ctx.extra.get("preview") and ctx.date is not None and act.entry.start <= ctx.date:
            options = bank["前夜"]  # running already: tomorrow its big day starts
        elif ctx.extra.get("preview"):
            options = bank["明天"]
        elif ctx.content_type == "公告" and act.stage == "进行中":  # a programme's day: where it stands
            n_day = (ctx.date - act.entry.start).days + 1 if ctx.date else 1
            if n_day > 1 and act.days_left > 1 and not ctx.notes.strip():
                raise NothingNew(
                    f"「{act.entry.name}」进行中的日子不发公告：第几天早安里已经说了，再发一遍只是刷屏。"
                    "有要通知的（作业安排、时间调整），写进「今天的备注」，这个时段就会发出来。"
                )
            key = "首日" if n_day == 1 else "末日" if act.days_left == 0 else "前一天" if act.days_left == 1 else "每天"
            options = bank["进行中公告"][key]
        elif ctx.content_type == "公告":
            options = bank["公告"]
        else:
            options = bank[stage]
        variables = activity_variables(ctx, act)
        grams, bodies = _said(ctx)
        first = int(ctx.extra.get("nth", ctx.index))
        best: tuple[tuple[int, float], str, tuple[str, ...]] | None = None
        for k in range(len(options)):  # the day's k-th wording first; never one the group had word for word
            text = render_template(options[(first + k) % len(options)], **variables)
            if ctx.notes.strip():  # the operator's facts for today win over the calendar's
                text = f"{text}\n{ctx.notes.strip()}"
            if ctx.extra.get("goodbye_now"):  # the group's last post: the last call says goodbye too
                moves = ctx.extra.get("goodbye") or ""
                text += "\n这个群今天之后就解散啦，谢谢大家这些天的陪伴。" + (
                    f"想继续聊的，来「{moves}」找我。" if moves else ""
                )
            text, changes = self._voice(re.sub(r"\n{2,}", "\n", text), sign=ctx.content_type != "公告")
            score = (int(_body(text, ctx.persona) in bodies), 0.0)
            if best is None or score < best[0]:
                best = (score, text, changes)
            if score[0] == 0:
                break
        assert best is not None
        label = f"{bank.get('name', 'tpl_活动')}@{bank.get('version', 1)}"
        return Written(best[1], label, (), count_tokens(best[1]), 0, best[2])

    def stream(self, ctx: DraftContext) -> Iterator[str | Written]:
        """Templates are instant: the finished text only."""
        yield self.slot(ctx)

    # ---------------------------------------------------------------- intro

    def intro(self, ctx: DraftContext) -> Written:
        """完整版 (who, brand, value, trust as whole first-person sentences), 欢迎版 (nickname + rules), 名片版."""
        p = ctx.persona
        first = first_person(p)
        who = first(p.intro.who) or f"我是{p.name}。"
        who = re.sub(rf"^我是{re.escape(p.name)}[，,、\s]*", "", who) if who.startswith(f"我是{p.name}") else who
        brand = first(p.intro.brand)
        if brand and p.brand and not brand.startswith(p.brand):
            brand = f"我在做「{p.brand}」：{brand}"
        elif not brand and p.brand:
            brand = f"我在做「{p.brand}」。"
        value = first(p.intro.value)
        if value:
            value = (
                f"在群里，我{value}"
                if re.match(r"^(?:帮|陪|教|带|给|分享|每天|和|跟)", value)
                else f"在群里你能得到的：{value}"
            )
        trust = first(p.intro.trust)
        if trust:
            if re.match(r"^(?:和|跟|与|从|坚持|已经|一直|累计)", trust):
                trust = "我" + trust
            trust = trust if trust.startswith(("我", "为什么")) else f"为什么可以放心交给我？{trust}"
        variables = {
            "persona": p,
            "address": p.address_form[0] if p.address_form else "大家",
            "e1": p.emoji[0] if p.emoji else "",
            "who": _sentence(who.lstrip("，,")),
            "brand_line": _sentence(brand),
            "value_line": _sentence(value),
            "trust_line": _sentence(trust),
            "who_short": f"{p.brand}的主理人" if p.brand else (_clause(first(p.intro.who), p.name) or "群主"),
            "value_short": _clause(first(p.intro.value), p.name),
            "brand_role": f"{p.brand}主理人" if p.brand else (p.industry or "群主"),
            "nickname": tpl.nickname_format(ctx.group) if ctx.group else "城市-昵称",
        }
        tfile = tpl.load_template("intro")
        text = render_template(tfile.variants[ctx.variant], **variables)
        text = re.sub(r"\n{2,}", "\n", text)
        changes: tuple[str, ...] = ()
        if ctx.variant == 0:
            text, changes = self._voice(text)
        return Written(text, tfile.label, (), count_tokens(text), 0, changes)

    # ---------------------------------------------------------------- topics

    def topics(self, ctx: DraftContext) -> tuple[list[TopicText], Written]:
        """Whole-post topics from the topic bank; 情怀共鸣 / 成长经历 retell one whole story of the persona's own."""
        out: list[TopicText] = []
        sources: list[str] = []
        stories = [
            (e.id, first_person(ctx.persona)(tpl.own_family(tpl.story_of(e.text, ctx.persona), ctx.persona)))
            for e in ctx.examples
        ]
        stories = [(i, s) for i, s in stories if s] or [("", tpl.persona_story(ctx.persona))]
        group = ctx.group.name if ctx.group else ""
        count = int(tpl.topic_parts(ctx.topic_type, 0, ctx.persona, ctx.event)["count"])  # type: ignore[call-overload]
        told = 0
        for i in range(min(ctx.n, count)):
            sid, story = stories[told % len(stories)]  # each story-telling topic tells the next story
            parts = tpl.topic_parts(ctx.topic_type, i, ctx.persona, ctx.event, story, group)
            opening = str(parts["opening"])
            if parts["tells_story"]:
                told += 1
                if sid:
                    sources.append(sid)
            title = _title(opening, ctx)
            out.append(TopicText(title, opening, tuple(parts["follow_ups"]), str(parts["summary"])))  # type: ignore[arg-type]
        text = "\n".join(t.opening for t in out)
        label = f"tpl_topics@{tpl.topic_bank().get('version', 1)}"
        return out, Written(text, label, tuple(dict.fromkeys(sources)), count_tokens(text))

    # ---------------------------------------------------------------- scripts and rewrite

    def script(self, ctx: DraftContext) -> Written:
        """A script from scripts.yaml."""
        assert ctx.group is not None
        text, label = tpl.render_script(ctx.script_kind, ctx.persona, ctx.group, ctx.details)
        return Written(text, label, tuple(e.id for e in ctx.examples[:1]), count_tokens(text))

    def rewrite(self, ctx: DraftContext) -> Written:
        """The rule-based, explainable rewrite."""
        r = rewrite(ctx.text, self.profile, protect=self.protect)
        return Written(r.text, "rule_rewrite@1", (), count_tokens(ctx.text), 0, r.changes)
