from django import template

from evidence.support import Status

register = template.Library()

# Each status has an icon and a word as well as a colour, so it reads without colour vision.
STATUS_ICONS = {
    Status.SUPPORTED: "✔",
    Status.WEAK: "◐",
    Status.CONTESTED: "⇄",
    Status.CONTRADICTED: "✖",
    Status.UNSUPPORTED: "?",
    Status.NOT_CHECKABLE: "–",
}


@register.filter
def status_icon(status: Status) -> str:
    return STATUS_ICONS[Status(status)]
