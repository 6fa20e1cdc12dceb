"""Curators' thesaurus entries in the admin (the shipped thesaurus is evidence/data/thesaurus.json)."""

from django.contrib import admin

from ..models import ThesaurusEntry


@admin.register(ThesaurusEntry)
class ThesaurusEntryAdmin(admin.ModelAdmin):
    list_display = ("term", "synonym_count", "origin")
    search_fields = ("term", "synonyms", "origin")

    @admin.display(description="synonyms")
    def synonym_count(self, entry: ThesaurusEntry) -> int:
        return len([line for line in entry.synonyms.splitlines() if line.strip()])
