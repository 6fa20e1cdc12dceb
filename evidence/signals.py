"""Keep Source.author_names in step with the author list, however it is edited (admin, fixtures, imports)."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Author, Authorship, Source


@receiver([post_save, post_delete], sender=Authorship)
def authorship_changed(sender, instance: Authorship, **kwargs) -> None:
    source = Source.objects.filter(pk=instance.source_id).first()
    if source is not None:
        source.refresh_author_names()


@receiver(post_save, sender=Author)
def author_renamed(sender, instance: Author, created: bool, **kwargs) -> None:
    if not created:
        for source in Source.objects.filter(authorships__author=instance).distinct():
            source.refresh_author_names()
