"""Keep Source.author_names and Source.title_key in step, however a source is edited (admin, fixtures, imports).

Rows loaded raw (loaddata) are left alone by the author-list signals: rebuilding a source's list after each of
its authorships read the whole list every time, so a restore took time quadratic in its authors. A dump
carries author_names with its sources; whoever loads fixtures without them calls
Source.objects.rebuild_author_names() afterwards (load_demo does).
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .identifiers import title_key
from .models import Author, Authorship, Source


@receiver(pre_save, sender=Source)
def key_the_title(sender, instance: Source, **kwargs) -> None:
    # pre_save, not Source.save(): fixtures (loaddata) save without calling the model's save().
    instance.title_key = title_key(instance.title)


@receiver([post_save, post_delete], sender=Authorship)
def authorship_changed(sender, instance: Authorship, raw: bool = False, origin=None, **kwargs) -> None:
    if raw or deleting_sources(origin):
        return
    source = Source.objects.filter(pk=instance.source_id).first()
    if source is not None:
        source.refresh_author_names()


def deleting_sources(origin) -> bool:
    """Whether a delete started from sources (one, or a queryset), whose authorships go with them: rewriting
    the list of a source about to go, once per authorship, made such a delete quadratic too."""
    return isinstance(origin, Source) or getattr(origin, "model", None) is Source


@receiver(post_save, sender=Author)
def author_renamed(sender, instance: Author, created: bool, raw: bool, **kwargs) -> None:
    if not created and not raw:
        for source in Source.objects.filter(authorships__author=instance).distinct():
            source.refresh_author_names()
