from django import template

from terms.rendering import render_markdown

register = template.Library()


@register.filter
def terms_markdown(text: str):
    return render_markdown(text or "")
