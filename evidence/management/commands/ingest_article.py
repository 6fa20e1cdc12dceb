from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evidence.articles import ArticleTextError, create_article, decode_upload


class Command(BaseCommand):
    help = (
        "Create an article from a UTF-8 text file and segment it into statements, one claim each, ready for "
        "curators to link to evidence. Prints the article's slug and the number of statements."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--title", required=True)
        parser.add_argument("--url", default="")
        parser.add_argument("--site", default="")

    def handle(self, *args, path: Path, title: str, url: str, site: str, **options):
        try:
            text = decode_upload(path.read_bytes())
            article, count = create_article(title, text, url=url, site=site)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        except ArticleTextError as error:
            raise CommandError(f"{path}: {error}") from None
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())
            ) from None
        self.stdout.write(f"{article.slug}\t{count} statements")
