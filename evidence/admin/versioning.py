"""Optimistic locking for the admin's forms, and the message a curator sees when someone saved first."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import HiddenInput, IntegerField, ModelForm
from simple_history.models import to_historic


class VersionedForm(ModelForm):
    """Optimistic locking: the form carries the version it was drawn from, and saving over a newer one
    is refused with what differs, instead of silently overwriting another curator's edit.

    It also serves simple-history's revert, whose form shows an old version: drawn from the stored record
    (else every revert was refused as stale), saved as the version after it, and naming the fields it puts
    back in the history and the admin's log (the form itself sees nothing changed: it starts from the old
    values)."""

    drawn_version = IntegerField(widget=HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["drawn_version"].initial = self._stored_version()

    @property
    def old_version(self):
        """The historical record a revert form shows, or None for an ordinary form."""
        return to_historic(self.instance)

    def _stored_version(self) -> int:
        """The record's version as stored; a revert's form shows an older one (or a deleted record's last)."""
        stored = None
        if self.old_version is not None:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        return self.instance.version if stored is None else stored

    def clean(self):
        cleaned = super().clean()
        drawn_from = cleaned.get("drawn_version")
        if not self.instance.pk or drawn_from is None:
            return cleaned
        # Locked until this request's transaction ends (the admin's views are atomic), so two saves of
        # the same version cannot both pass.
        # (No ordering: a default ordering through a nullable relation would put the lock on an outer join.)
        rows = type(self.instance).objects.filter(pk=self.instance.pk).order_by()
        current = rows.select_for_update(of=("self",)).first()
        if current is not None and current.version != drawn_from:
            raise ValidationError(
                stale_message(current, drawn_from, [f for f in self.changed_data if f != "drawn_version"])
            )
        if current is not None and self.old_version is not None:
            self._revert(current)
        return cleaned

    def _revert(self, current) -> None:
        """Save the old version as the next one, its history saying which fields it puts back."""
        old = self.old_version
        latest = current.history.first()
        changes = old.diff_against(latest).changes if latest else []
        # What the admin's log and the history name as changed (the form's own comparison finds nothing).
        self.changed_data = [change.field for change in changes if change.field in self.fields]
        self.instance.version = current.version  # the save makes it current + 1
        self.instance._change_reason = f"reverted to version {old.version}: " + (
            ", ".join(self.changed_data) or "nothing differed"
        )


def stale_message(current, drawn_from: int, your_changes: list[str]) -> str:
    latest = current.history.first()
    who = f"{latest.history_user} " if latest and latest.history_user else "Someone "
    when = f"at {latest.history_date:%Y-%m-%d %H:%M} UTC " if latest else ""
    meanwhile = _changed_since(current, drawn_from)
    if meanwhile:
        what = f"; they changed: {', '.join(meanwhile)}"
    else:  # no history of the version you started from: say where the saved record and your form differ
        what = f"; the saved record now differs from your form in: {', '.join(your_changes)}" if your_changes else ""
    return (
        f"{who}saved this record {when}while you were editing it (version {drawn_from} → {current.version})"
        + what
        + ". Nothing of yours was saved: reload the page to see their version, then make your changes again."
    )


def _changed_since(current, drawn_from: int) -> list[str]:
    """Names of the fields changed between the version the form was drawn from and now, from the history."""
    versions = {record.version: record for record in current.history.filter(version__gte=drawn_from)}
    old, new = versions.get(drawn_from), versions.get(current.version)
    if old is None or new is None:
        return []
    return [change.field for change in new.diff_against(old).changes if change.field != "version"]
