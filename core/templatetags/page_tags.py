"""Tags of the page frame (templates/base.html)."""

from django import template

register = template.Library()

HEADER_NAV = "includes/header_nav.html"


@register.simple_tag(takes_context=True)
def header_nav(context) -> str:
    """The header's links, rendered once a page and shown in both places base.html has for
    them (the wide row and the phone's menu): the same fragment twice (REQ NFR-4)."""
    key = (__name__, HEADER_NAV)
    html = context.render_context.get(key)
    if html is None:
        html = context.template.engine.get_template(HEADER_NAV).render(context)
        context.render_context[key] = html
    return html
