"""Write `evals/voice/dressed.jsonl`: foreign text dressed in a target persona's markers.

    .venv/bin/python evals/voice/dress.py

For each target persona (the five in this folder and the demo persona in `knowledge/`), every held-out post of the
other personas (odd positions, the ones no scorer learns from) and every generic AI text is dressed the way a
copy-paster would: its own sign-off and address forms removed, the target's address form put in front, one of the
target's catchphrases and two of its emoji added, the target's sign-off at the end. A voice score that counts markers
regardless of content ranks these above the persona's own posts; a good one does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

VOICE = Path(__file__).resolve().parent
ROOT = VOICE.parent.parent
OUT = VOICE / "dressed.jsonl"
DEMO = "demo"


def personas() -> dict[str, tuple[dict, list[str]]]:
    """{key: (persona mapping without posts, posts)}: the five eval personas and the demo persona."""
    out: dict[str, tuple[dict, list[str]]] = {}
    for f in sorted(VOICE.glob("*.yaml")):
        data = yaml.safe_load(f.read_text("utf-8"))
        out[f.stem] = (data, [p["text"] for p in data.pop("posts")])
    demo = yaml.safe_load((ROOT / "knowledge" / "persona.yaml").read_text("utf-8"))
    posts = [json.loads(x)["text"] for x in (ROOT / "knowledge" / "posts.jsonl").read_text("utf-8").splitlines() if x]
    out[DEMO] = (demo, posts)
    return out


def generic() -> list[str]:
    """The generic AI texts."""
    lines = (VOICE / "generic_ai.jsonl").read_text("utf-8").splitlines()
    return [json.loads(x)["text"] for x in lines if x.strip()]


def undress(text: str, source: dict) -> str:
    """Remove the source persona's sign-off and address forms, so only its content is left."""
    t = text.replace(source.get("signoff") or "\0", "")
    for a in sorted(source.get("address_form") or [], key=len, reverse=True):
        t = t.replace(a + "，", "").replace(a, "")
    return t.strip()


def dress(text: str, target: dict, i: int) -> str:
    """The text in the target's address form, a catchphrase, two emoji and the sign-off (varied by `i`)."""
    address = target.get("address_form") or ["大家"]
    catch = target.get("catchphrases") or [""]
    emoji = target.get("emoji") or [""]
    a = address[i % len(address)]
    c = catch[i % len(catch)]
    e = emoji[i % len(emoji)] + emoji[(i + 1) % len(emoji)]
    body = text.strip()
    if i % 2:
        opened = f"{a}，{c}{e}\n{body}"
    else:
        opened = f"{a}，{body} {c}{e}"
    sign = target.get("signoff") or ""
    return f"{opened}\n{sign}".strip()


def build() -> list[dict]:
    """Every dressed record, in a stable order."""
    ps = personas()
    gen = generic()
    rows: list[dict] = []
    for target, (tdata, _) in ps.items():
        i = 0
        for source, (sdata, posts) in ps.items():
            if source in (target, DEMO):
                continue  # the demo persona's posts are never dressed: the five personas learn nothing from them
            for text in posts[1::2]:
                rows.append({"persona": target, "source": source, "text": dress(undress(text, sdata), tdata, i)})
                i += 1
        for text in gen:
            rows.append({"persona": target, "source": "generic_ai", "text": dress(text, tdata, i)})
            i += 1
    return rows


def render(rows: list[dict]) -> str:
    """JSONL, one record a line, UTF-8 kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


if __name__ == "__main__":
    OUT.write_text(render(build()), "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
