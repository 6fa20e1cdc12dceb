"""The admin's forms: sources (no second record of the same work), articles (text or upload), an upload
of a bibliography or of Retraction Watch's file, and linking a suggested source to a claim."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import (
    BooleanField,
    CharField,
    ChoiceField,
    FileField,
    Form,
    ModelChoiceField,
    ModelForm,
    Textarea,
    TextInput,
)

from .. import articles
from ..bibliography.formats import IMPORT_LABELS
from ..bibliography.importer import size_problem, source_with_same_title
from ..models import Article, Source
from ..vocabularies import Stance
from .versioning import VersionedForm


class BibliographyUploadForm(Form):
    file = FileField(
        label="Bibliography file",
        help_text="BibTeX (.bib), RIS (.ris), CSL-JSON (.json) or PubMed MEDLINE (.nbib, .txt).",
    )
    format = ChoiceField(
        choices=[("auto", "Tell from the content"), *IMPORT_LABELS.items()], initial="auto", label="Format"
    )
    database = CharField(
        max_length=200,
        required=False,
        label="Database searched",
        help_text="Where the records were found (PubMed, Embase, Scopus …), for the PRISMA diagram. "
        "Left empty: PubMed for a MEDLINE file, else the file's name.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if problem := size_problem(upload.size):
            raise ValidationError(problem)
        return upload


class RetractionUploadForm(Form):
    file = FileField(
        label="Retraction Watch file",
        help_text="retraction_watch.csv as Crossref distributes it (about 50,000 rows; read line by line).",
    )
    dry_run = BooleanField(
        required=False, initial=True, label="Dry run", help_text="Show what would change; write nothing."
    )


class SourceForm(VersionedForm):
    class Meta:
        widgets = {
            "title": Textarea(attrs={"rows": 2, "cols": 100}),
            "container_title": TextInput(attrs={"size": 80}),
            "howpublished": TextInput(attrs={"size": 80}),
            "url": TextInput(attrs={"size": 80}),
        }

    def clean(self):
        """A new source with the title and year of an existing one is refused: it is a double submit or
        a duplicate (DOI and PMID are unique already, but many records have neither). So is an edit that
        gives a source another's title and year, unless curators marked the two "not duplicates"."""
        cleaned = super().clean()
        title, year = cleaned.get("title"), cleaned.get("year")
        if self.instance.pk is None and title:
            same = source_with_same_title(title, year)
            if same:
                raise ValidationError(
                    f"{same.key} already has this title and year: edit it instead of adding a second record."
                )
        elif title and {"title", "year"} & set(self.changed_data):
            same = source_with_same_title(title, year, other_than=self.instance)
            if same:
                raise ValidationError(
                    f"{same.key} already has this title and year. If the two are one work, merge them (action "
                    "“Merge two selected sources”); if they are different works, mark them “not duplicates” there."
                )
        return cleaned


class ArticleForm(ModelForm):
    upload = FileField(
        required=False,
        label="or upload a text file",
        help_text="UTF-8 plain text; it replaces the text above.",
    )

    class Meta:
        model = Article
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        self.fields["text"].strip = False  # offsets point into the text exactly as given

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        try:
            if upload:
                cleaned["text"] = articles.decode_upload(upload.read())
            articles.check_text(cleaned.get("text") or "")
        except articles.ArticleTextError as error:
            raise ValidationError({"upload" if upload else "text": str(error)}) from None
        return cleaned


class LinkSourceForm(Form):
    source = ModelChoiceField(Source.objects.screened_in())
    stance = ChoiceField(choices=Stance.choices)
