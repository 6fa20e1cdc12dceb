"""Keep Source.linked_terms and the search lexicon in step with curators' edits, wherever they are made."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from evidence.models import AdverseEffect, AdverseEffectReport, Compound, Source, ThesaurusEntry

from .linked import refresh_linked_terms
from .thesaurus import forget_lexicon


@receiver(post_save, sender=Source)
def source_saved(sender, instance: Source, **kwargs) -> None:
    refresh_linked_terms([instance.pk])


@receiver(m2m_changed, sender=Source.compounds.through)
def compounds_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # compound.sources.add(...): the sources are in pk_set, or all of them on clear
        refresh_linked_terms(pk_set if pk_set else instance.sources.values_list("pk", flat=True))
    else:
        refresh_linked_terms([instance.pk])


@receiver([post_save, post_delete], sender=AdverseEffectReport)
def report_changed(sender, instance: AdverseEffectReport, **kwargs) -> None:
    refresh_linked_terms([instance.source_id])


@receiver(post_save, sender=Compound)
def compound_renamed(sender, instance: Compound, created: bool, **kwargs) -> None:
    forget_lexicon()
    if not created:
        refresh_linked_terms(instance.sources.values_list("pk", flat=True))


@receiver(pre_delete, sender=Compound)
def compound_deleting(sender, instance: Compound, **kwargs) -> None:
    instance._linked_source_ids = list(instance.sources.values_list("pk", flat=True))


@receiver(post_delete, sender=Compound)
def compound_deleted(sender, instance: Compound, **kwargs) -> None:
    forget_lexicon()
    refresh_linked_terms(getattr(instance, "_linked_source_ids", []))


@receiver(post_save, sender=AdverseEffect)
def effect_renamed(sender, instance: AdverseEffect, created: bool, **kwargs) -> None:
    if not created:
        refresh_linked_terms(instance.reports.values_list("source_id", flat=True).distinct())


@receiver([post_save, post_delete], sender=ThesaurusEntry)
def thesaurus_changed(sender, **kwargs) -> None:
    forget_lexicon()
