"""Schedule a claim's stored status for recomputing (evidence/claim_status.py) whenever a record the rules read
is saved or deleted: the claim, its compounds, parts, GRADE overrides and upgrades, its evidence links, and
their sources (design, population, n, retraction status, compounds, risk of bias). Fixtures (raw saves)
included: load_demo and loaddata keep statuses too. Bulk writes send no signals and schedule themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from . import claim_status
from .models import Claim, Compound, Evidence, GradeOverride, GradeUpgrade, RiskOfBias, Source, StatementPart


@receiver([post_save, post_delete], sender=Claim)
@receiver([post_save, post_delete], sender=Evidence)
@receiver([post_save, post_delete], sender=GradeOverride)
@receiver([post_save, post_delete], sender=GradeUpgrade)
@receiver([post_save, post_delete], sender=StatementPart)
def claim_record_changed(sender, instance, **kwargs) -> None:
    claim_status.schedule([instance.pk if sender is Claim else instance.claim_id])


@receiver(pre_save, sender=Evidence)
def evidence_moving(sender, instance: Evidence, **kwargs) -> None:
    """A link moved to another claim leaves its old claim with one link fewer."""
    if instance.pk is not None and not instance._state.adding:
        claim_status.schedule(Evidence.objects.filter(pk=instance.pk).values_list("claim_id", flat=True))


@receiver(post_save, sender=Source)
def source_saved(sender, instance: Source, created: bool, **kwargs) -> None:
    if not created:  # a new source is no one's evidence yet
        claim_status.schedule_sources([instance.pk])


@receiver([post_save, post_delete], sender=RiskOfBias)
def appraisal_changed(sender, instance: RiskOfBias, **kwargs) -> None:
    claim_status.schedule_sources([instance.source_id])


# A clear is caught before it happens, while the relation still names what it clears (the recompute itself
# waits for the commit).
CHANGES = ("post_add", "post_remove", "pre_clear")


@receiver(m2m_changed, sender=Claim.compounds.through)
def claim_compounds_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in CHANGES:
        return
    if reverse:  # compound.claims.add(...): the claims are in pk_set, or all of them on clear
        claim_status.schedule(pk_set if pk_set else instance.claims.values_list("pk", flat=True))
    else:
        claim_status.schedule([instance.pk])


@receiver(m2m_changed, sender=Source.compounds.through)
def source_compounds_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in CHANGES:
        return
    if reverse:
        claim_status.schedule_sources(pk_set if pk_set else instance.sources.values_list("pk", flat=True))
    else:
        claim_status.schedule_sources([instance.pk])


@receiver([post_save, pre_delete], sender=Compound)
def compound_changed(sender, instance: Compound, created: bool = False, **kwargs) -> None:
    """GRADE compares compounds by slug (indirectness of intervention); a deleted one leaves its claims and
    sources without a word (m2m rows go with it, sending no m2m_changed)."""
    if not created:
        claim_status.schedule(instance.claims.values_list("pk", flat=True))
        claim_status.schedule_sources(instance.sources.values_list("pk", flat=True))
