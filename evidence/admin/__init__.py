"""The curators' admin: sources with their ordered authors and reports, claims with their evidence.

Importing the modules of model admins registers them; the forms, inlines, actions and the import page
are theirs to use.
"""

from django.contrib import admin

from . import adverse_effects, claims, screening, sources, thesaurus  # noqa: F401 (importing them registers their model admins)

admin.site.site_header = "Kratom evidence base: curation"
admin.site.site_title = "Kratom evidence curation"
admin.site.index_title = "Sources, claims and evidence"
