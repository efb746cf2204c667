"""Token counting with tiktoken (BPE files seeded offline) and fitting prompts to a budget."""

from __future__ import annotations

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=4)
def _encoding(name: str = "o200k_base") -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def count_tokens(text: str) -> int:
    """Tokens of a text under o200k_base (the encoding of current OpenAI chat models)."""
    return len(_encoding().encode(text, disallowed_special=()))


def fit_examples(build, examples: list, budget: int) -> tuple[list, int]:  # noqa: ANN001
    """Drop the least useful examples (the list's tail) until build(examples) fits the budget.

    `build(examples) -> str` renders the whole prompt; persona core and task are never dropped, so when even
    zero examples exceed the budget the prompt goes out with none and its real size is reported.
    """
    kept = list(examples)
    while True:
        tokens = count_tokens(build(kept))
        if tokens <= budget or not kept:
            return kept, tokens
        kept.pop()
