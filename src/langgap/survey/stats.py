"""Survey statistics: the numbers in `stats.json` (the contract other tools read)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from langgap.languages import try_lookup
from langgap.survey.models import GROUPS, TOPICS, Labels, Paper

VENUE_TYPES = ("conference", "workshop", "journal", "unknown")

Counts = dict[str, dict[str, int]]  # outer key (year, topic, group) → group or venue → papers


@dataclass(frozen=True, slots=True)
class SurveyStats:
    """The statistics over the kept (related) papers; shares are None where a group is empty.

    Field order is the key order of `stats.json`; `to_dict()` writes it.
    """

    total_papers: int | None
    screened: int | None
    kept: int | None
    unrelated_share: float | None  # 1 - kept/screened
    no_abstract: int | None
    by_year: Counts
    languages: dict[str, int]
    language_names: dict[str, str]
    avg_multilinguality: dict[str, float | None]
    topics: Counts
    venue_types: Counts
    workshop_share: dict[str, float | None]
    documented: dict[str, float | None]
    documented_counts: Counts
    group_counts: dict[str, int]
    english_only_share: float | None
    multilingual_unlisted: int | None

    def to_dict(self) -> dict[str, object]:
        """The stats.json keys, in their documented order."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @property
    def kept_share(self) -> float | None:
        """Share of keyword hits kept as LLM-safety papers."""
        return None if not self.screened or self.kept is None else self.kept / self.screened

    def topic_order(self) -> list[str]:
        """Known topics first in their fixed order, unknown ones next, not_safety last."""
        extra = sorted(t for t in self.topics if t not in TOPICS)
        return [t for t in TOPICS if t != "not_safety"] + extra + ["not_safety"]

    def top_languages(self, limit: int | None = None) -> list[tuple[str, int]]:
        """Languages by number of kept papers, most first, ties by code."""
        ranked = sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked if limit is None else ranked[:limit]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def survey_stats(
    kept: Sequence[tuple[Paper, Labels]],
    *,
    screened: int,
    no_abstract: int,
    total_papers: int,
    years: tuple[int, int],
) -> SurveyStats:
    """All statistics over the kept (related) papers; shares are None where a group is empty."""
    by_year: dict[str, Counter[str]] = {
        str(y): Counter({g: 0 for g in GROUPS}) for y in range(years[0], years[1] + 1)
    }
    languages: Counter[str] = Counter()
    multilinguality: dict[str, list[int]] = defaultdict(list)
    topics: dict[str, Counter[str]] = {t: Counter({g: 0 for g in GROUPS}) for t in TOPICS}
    venues: dict[str, Counter[str]] = {g: Counter({v: 0 for v in VENUE_TYPES}) for g in GROUPS}
    documented: dict[str, Counter[str]] = {
        g: Counter({"documented": 0, "total": 0}) for g in GROUPS
    }
    unlisted = 0
    for paper, labels in kept:
        group = labels.group
        by_year.setdefault(str(paper.year), Counter({g: 0 for g in GROUPS}))[group] += 1
        for code in labels.languages:
            languages[code] += 1
            multilinguality[code].append(len(labels.languages))
        topics[labels.topic][group] += 1
        venues[group][paper.venue_type] += 1
        documented[group]["total"] += 1
        documented[group]["documented"] += int(labels.documented)
        unlisted += int(labels.multilingual_unlisted)
    group_sizes: dict[str, int] = {g: documented[g]["total"] for g in GROUPS}
    return SurveyStats(
        total_papers=total_papers,
        screened=screened,
        kept=len(kept),
        unrelated_share=_share(screened - len(kept), screened),
        no_abstract=no_abstract,
        by_year={y: dict(c) for y, c in sorted(by_year.items())},
        languages=dict(languages.most_common()),
        language_names={code: _name(code) for code in languages},
        avg_multilinguality={
            code: round(sum(sizes) / len(sizes), 3) for code, sizes in multilinguality.items()
        },
        topics={t: dict(c) for t, c in topics.items()},
        venue_types={g: dict(c) for g, c in venues.items()},
        workshop_share={g: _share(venues[g]["workshop"], group_sizes[g]) for g in GROUPS},
        documented={g: _share(documented[g]["documented"], group_sizes[g]) for g in GROUPS},
        documented_counts={g: dict(c) for g, c in documented.items()},
        group_counts=group_sizes,
        english_only_share=_share(group_sizes["english_only"], len(kept)),
        multilingual_unlisted=unlisted,
    )


def _name(code: str) -> str:
    language = try_lookup(code)
    return language.name if language else code
