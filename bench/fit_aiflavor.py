"""Fit the AI-flavour model on HC3-Chinese and write `copilot/data/aiflavor.json`.

    .venv/bin/python bench/fit_aiflavor.py [path/to/hc3_zh_train.jsonl]

Data: HC3-Chinese (Guo et al. 2023, CC BY-SA 4.0) as redistributed in suu990901/chatgpt-comparison-detection-HC3-Plus
(`data/zh/val_hc3_QA.jsonl`); label 1 = ChatGPT, 0 = people. A fixed 25 % (stratified, seed below) is held out from
fitting; `make bench` reports the AUC on it. Plain numpy: L2-regularised logistic regression by Adam, the penalty
chosen by 5-fold cross-validation on the fitting part only.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.aiflavor import HAND, WEIGHTS, char_ngrams, hand_features, ngram_values, standardise  # noqa: E402
from copilot.evaluate import auc  # noqa: E402
from copilot.profile import sentences  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hc3_zh_train.jsonl"
SEED = 20230118
MIN_DF = 3
MAX_VOCAB = 12000
PENALTIES = (1e-4, 1e-3, 1e-2)
DISPLAY_OFFSET = 2.0


def load(path: Path = DATA) -> list[dict]:
    """The labelled answers."""
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def split(labels: list[int], seed: int = SEED, holdout: float = 0.25) -> tuple[list[int], list[int]]:
    """(fit, holdout) indices: a stratified, seeded split."""
    rng = np.random.default_rng(seed)
    fit: list[int] = []
    held: list[int] = []
    for label in sorted(set(labels)):
        idx = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(idx)
        k = round(len(idx) * holdout)
        held += idx[:k]
        fit += idx[k:]
    return sorted(fit), sorted(held)


def design(texts: list[str], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(n-gram matrix, raw register-feature matrix)."""
    x = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    for r, t in enumerate(texts):
        idx, vals = ngram_values(char_ngrams(t), vocab)
        x[r, idx] = vals
    h = np.asarray([[hand_features(t)[k] for k in HAND] for t in texts])
    return x, h


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float, steps: int = 400) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by full-batch Adam; the bias is not penalised."""
    n, d = x.shape
    w = np.zeros(d)
    b = float(np.log(y.mean() / (1 - y.mean())))
    m, v = np.zeros(d + 1), np.zeros(d + 1)
    lr, b1, b2 = 0.05, 0.9, 0.999
    for step in range(1, steps + 1):
        # x stays float32 (a float64 w would copy the whole matrix every step)
        p = 1 / (1 + np.exp(-(x @ w.astype(np.float32) + b)))
        r = (p - y).astype(np.float32)
        g = np.concatenate([(x.T @ r) / n + penalty * w, [float(np.mean(r))]])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        upd = lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + 1e-8)
        w -= upd[:-1]
        b -= float(upd[-1])
    return w, b


def chunks(text: str, size: int = 120) -> list[str]:
    """Runs of whole sentences of about `size` characters: answers are long, group posts are short."""
    out: list[str] = []
    cur = ""
    for s in sentences(text):
        cur += s
        if len(cur) >= size:
            out.append(cur)
            cur = ""
    if cur and len(cur) >= 20:
        out.append(cur)
    return out if len(out) > 1 else []


def expand(texts: list[str], labels: np.ndarray, docs: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each text plus its short chunks, with the label and the document each came from."""
    out, ys, ds = [], [], []
    for t, y, d in zip(texts, labels, docs, strict=True):
        for piece in [t, *chunks(t)]:
            out.append(piece)
            ys.append(y)
            ds.append(d)
    return out, np.asarray(ys, dtype=np.float64), np.asarray(ds)


def build(rows: list[dict], fit_idx: list[int]) -> dict:
    """Vocabulary, standardisation, penalty by CV, final fit: the JSON the package loads."""
    whole = [rows[i]["text"] for i in fit_idx]
    folds_doc = np.arange(len(whole)) % 5
    np.random.default_rng(SEED).shuffle(folds_doc)
    texts, y, folds = expand(whole, np.asarray([rows[i]["label"] for i in fit_idx]), folds_doc)
    is_whole = np.zeros(len(texts), dtype=bool)
    pos = 0
    for t in whole:
        is_whole[pos] = True
        pos += 1 + len(chunks(t))
    df: Counter[str] = Counter(g for t in texts for g in char_ngrams(t))
    vocab_list = [g for g, n in df.most_common(MAX_VOCAB) if n >= MIN_DF]
    vocab = {g: i for i, g in enumerate(vocab_list)}
    xg, h = design(texts, vocab)
    mean, std = h.mean(axis=0), h.std(axis=0) + 1e-6
    x = np.hstack([xg, standardise(h, mean, std).astype(np.float32)])

    cv: dict[float, float] = {}
    for pen in PENALTIES:
        scores = []
        for k in range(5):
            tr, te = folds != k, (folds == k) & is_whole
            w, b = fit_logistic(x[tr], y[tr], pen)
            scores.append(_auc(x[te] @ w + b, y[te]))
        cv[pen] = float(np.mean(scores))
        print(f"penalty {pen:g}: cv auc {cv[pen]:.3f}", file=sys.stderr)
    best = max(cv, key=lambda p: cv[p])
    w, b = fit_logistic(x, y, best, steps=800)
    wg, wh = w[: len(vocab_list)], w[len(vocab_list) :]
    keep = [i for i in range(len(vocab_list)) if abs(wg[i]) >= 5e-3]
    return {
        "ngrams": [vocab_list[i] for i in keep],
        "ngram_weights": [round(float(wg[i]), 4) for i in keep],
        "hand_mean": {k: round(float(m), 5) for k, m in zip(HAND, mean, strict=True)},
        "hand_std": {k: round(float(s), 5) for k, s in zip(HAND, std, strict=True)},
        "hand_weights": {k: round(float(x_), 4) for k, x_ in zip(HAND, wh, strict=True)},
        "bias": round(b, 4),
        # HC3's people write encyclopaedia and forum prose, far more written than group chat: unshifted, generic AI
        # group posts (logit ≈ -2) would read 0.1. The shift moves the display, never the ranking (AUC).
        "display_offset": DISPLAY_OFFSET,
        "meta": {
            "data": "HC3-Chinese (Guo et al. 2023, CC BY-SA 4.0) via suu990901/chatgpt-comparison-detection-HC3-Plus "
            "data/zh/val_hc3_QA.jsonl",
            "seed": SEED,
            "holdout": 0.25,
            "fit_texts": len(fit_idx),
            "fit_pieces": len(texts),
            "penalty": best,
            "cv_auc": round(cv[best], 4),
            "vocab": len(vocab_list),
        },
    }


def _auc(scores: np.ndarray, y: np.ndarray) -> float:
    return auc(
        [float(s) for s, t in zip(scores, y, strict=True) if t == 1],
        [float(s) for s, t in zip(scores, y, strict=True) if t == 0],
    )


def main() -> None:
    """Fit on the fitting part, report the held-out AUC, write the weights file."""
    rows = load(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    fit_idx, held = split([r["label"] for r in rows])
    data = build(rows, fit_idx)
    from copilot.aiflavor import AiFlavorModel

    m = AiFlavorModel(data)
    held_auc = _auc(np.asarray([m.logit(rows[i]["text"]) for i in held]), np.asarray([rows[i]["label"] for i in held]))
    data["meta"]["holdout_auc"] = round(held_auc, 4)
    WEIGHTS.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"held-out AUC {held_auc:.3f}; {len(data['ngrams'])} n-grams; wrote {WEIGHTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
