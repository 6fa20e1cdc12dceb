"""Widgets of the admin's forms."""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelect


class RowAutocompleteSelect(AutocompleteSelect):
    """Labels its row's chosen object from the row itself: Django's widget queries once per row."""

    chosen = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.chosen is None or selected != {str(self.chosen.pk)}:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(self.chosen)
        options.append(self.create_option(name, self.chosen.pk, label, selected, len(options)))
        return [(None, options, 0)]
