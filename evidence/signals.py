"""Keep Source.author_names and Source.title_key in step, however a source is edited (admin, fixtures, imports)."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .identifiers import title_key
from .models import Author, Authorship, Source


@receiver(pre_save, sender=Source)
def key_the_title(sender, instance: Source, **kwargs) -> None:
    # pre_save, not Source.save(): fixtures (loaddata) save without calling the model's save().
    instance.title_key = title_key(instance.title)


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
