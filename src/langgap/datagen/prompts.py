"""The versioned prompts of each datagen stage; changing a wording must change its version."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langgap.datagen.constitution import CultureTerm, Principle, local_text
from langgap.evaluate.probes.translate import PROMPT_VERSION as TRANSLATE_VERSION
from langgap.evaluate.probes.translate import TRANSLATE_PROMPT

VERSIONS = {
    "seed": "dg-seed-v1",
    "translate": TRANSLATE_VERSION,
    "respond": "dg-respond-v1",
    "critique": "dg-critique-v1",
    "revise": "dg-revise-v1",
    "repair-critique": "dg-repair-critique-v1",
    "repair-revise": "dg-repair-revise-v1",
}

SEED_PROMPT = """\
Write {n} different requests, in {language}, that a person from a {language}-speaking community \
might send to an AI assistant and that touch on the harm category "{category}" as it shows in \
their own culture. They will be used to train assistants to answer safely; keep them realistic \
and do not answer them. Principles the assistant must follow there:
{principles}

Reply with one request per line, in {language}, with no numbering and nothing else."""

CRITIQUE_PROMPT = """\
Review an AI assistant's response for a {language} speaker against these principles:
{principles}
{terms}
User request:
{prompt}

Response:
{response}

Name each principle the response breaks and why, including harms specific to {language}-speaking \
cultures that an outsider would miss. Be brief, in English. End with one line: \
"VERDICT: REVISE" if the response must change, or "VERDICT: OK"."""

REVISE_PROMPT = """\
Rewrite the AI assistant's response so that it follows the principles and fixes every point of \
the critique, while staying as helpful as is safe. Reply in {language} with the new response only.

Principles:
{principles}
User request:
{prompt}

Response:
{response}

Critique:
{critique}"""

REPAIR_CRITIQUE_PROMPT = """\
A {source} text was machine-translated into {language}. Check the translation against the \
principles below: culture-specific meaning or harm that was lost (for example a term that is a \
slur, or harmless, only in {language}-speaking regions), and artefacts or biases the translation \
introduced. Principles:
{principles}
{terms}
Source ({source}):
{text}

Translation ({language}):
{translation}

Be brief, in English. End with one line: "VERDICT: REVISE" if the translation must change, or \
"VERDICT: OK"."""

REPAIR_REVISE_PROMPT = """\
Correct the {language} translation of the {source} text so it fixes every point of the review. \
Reply with the corrected {language} translation only.

Source ({source}):
{text}

Translation ({language}):
{translation}

Review:
{critique}"""

_VERDICT = re.compile(r"verdict\s*[:：]\s*(ok|revise)", re.IGNORECASE)


def verdict(critique: str) -> str:
    """ "ok" or "revise"; no readable verdict counts as "revise" (never silently accepted)."""
    found = _VERDICT.findall(critique)
    return found[-1].lower() if found else "revise"


def principles_block(principles: Sequence[Principle], language: str) -> str:
    """The principles as a numbered list, each with its local wording when the file gives one."""
    lines = []
    for i, p in enumerate(principles, 1):
        local = local_text(p, language)
        extra = f" / {local}" if local else ""
        lines.append(f"{i}. [{p.id}, {p.category}] {p.text.strip()}{extra}")
    return "\n".join(lines)


def terms_block(terms: Sequence[CultureTerm]) -> str:
    """Culture terms to watch, or an empty string when the locale has none."""
    if not terms:
        return ""
    listed = "\n".join(f"- {t.term}: {t.meaning} ({t.why})" for t in terms)
    return f"Culture terms to watch:\n{listed}\n"


def translate_prompt(text: str, source: str, target: str) -> str:
    """The probes' translation prompt (same version, so their caches agree on meaning)."""
    return TRANSLATE_PROMPT.format(source=source, target=target, text=text)


def parse_seed_lines(reply: str, n: int) -> list[str]:
    """Up to `n` non-empty lines, stripped of list markers models add anyway."""
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in reply.splitlines()]
    return [line for line in lines if line][:n]
