"""Source.linked_terms: what a source is linked to, written out as words for the full-text index.

Searching "liver injury" or "case report" must find a source whose title says neither but whose adverse-effect
report or study design does. Both databases index a text column (a join cannot be indexed with the text),
so the words are copied here whenever a source, its compounds or its reports change (evidence.query.signals),
and by bulk writers (imports, the synthetic corpus) through refresh_linked_terms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from evidence.models import AdverseEffectReport, Compound, Source
from evidence.vocabularies import Population, StudyDesign

from .thesaurus import is_searchable_synonym

BATCH = 1000


def compound_names(name: str, synonyms: str) -> list[str]:
    """A compound's name and the synonyms worth indexing (see thesaurus.is_searchable_synonym)."""
    lines = (line.strip() for line in synonyms.splitlines())
    return [name, *(line for line in lines if line and is_searchable_synonym(line))]


def linked_terms(
    design: str, population: str, compounds: Iterable[Compound], effects: Iterable[tuple[str, str]]
) -> str:
    """The text indexed for one source; effects as (term, organ class). Takes historical models too."""
    parts = [
        str(StudyDesign(design).label) if design in StudyDesign.values else "",
        str(Population(population).label) if population in Population.values else "",
        *(name for compound in compounds for name in compound_names(compound.name, compound.synonyms)),
        *(text for effect in sorted(set(effects)) for text in effect),
    ]
    return "; ".join(dict.fromkeys(part for part in parts if part))


def refresh_linked_terms(source_ids: Iterable[int], models=None) -> None:
    """Rewrite the linked terms of these sources (three reads and one write per thousand sources).

    `models`: (Source, AdverseEffectReport) as a migration sees them; today's models by default.
    """
    Source_, Report = models or (Source, AdverseEffectReport)
    ids = list(source_ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        compounds: dict[int, list[Compound]] = defaultdict(list)
        for link in Source_.compounds.through.objects.filter(source_id__in=batch).select_related("compound"):
            compounds[link.source_id].append(link.compound)
        effects: dict[int, list[tuple[str, str]]] = defaultdict(list)
        reports = Report.objects.filter(source_id__in=batch)
        for source_id, term, organ_class in reports.values_list(
            "source_id", "effect__term", "effect__system_organ_class"
        ):
            effects[source_id].append((term, organ_class))
        sources = list(Source_.objects.filter(pk__in=batch).only("pk", "study_design", "population", "linked_terms"))
        changed = []
        for source in sources:
            text = linked_terms(source.study_design, source.population, compounds[source.pk], effects[source.pk])
            if text != source.linked_terms:
                source.linked_terms = text
                changed.append(source)
        # bulk_update sends no signal and leaves updated_at (and the history) alone: this is an index, not an edit.
        Source_.objects.bulk_update(changed, ["linked_terms"], batch_size=BATCH)
