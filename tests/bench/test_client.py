"""The load driver's form reading (bench/client.py): what it sends back is what a person would."""

from bench.client import forms_of, last_post_form

PAGE = """<header><form method="post" action="/accounts/logout/">
<input type="hidden" name="csrfmiddlewaretoken" value="header"></form>
<form method="get" action="/search/"><input name="q" value="x"></form></header>
<main><form action="/booths/1/2026-12-09/1000/request/" method="POST" novalidate>
<input type="hidden" name="csrfmiddlewaretoken" value="page">
<input type="hidden" name="answers" value="signed:answers">
<input type="radio" name="tool" value="1"><input type="radio" name="tool" value="2">
<select name="purpose"><option value="">-</option><option value="job_search">j</option></select>
<textarea name="note"></textarea><input type="checkbox" name="agree" value="yes" checked>
<input type="checkbox" name="skip" value="no"><input type="submit" name="send" value="Send">
</form></main><footer><form method="get" action="/lang/"></form></footer>"""


def test_the_driver_reads_the_pages_own_form_as_the_whole_page_parse_does():
    # REQ NFR-4: the benchmark's driver parses only the form it sends, with the same answer.
    action, fields = last_post_form(PAGE)
    assert (action, fields) == forms_of(PAGE)[-1]
    assert action == "/booths/1/2026-12-09/1000/request/"
    assert fields == [
        ("csrfmiddlewaretoken", "page"),
        ("answers", "signed:answers"),
        ("tool", "1"),
        ("purpose", "job_search"),
        ("note", ""),
        ("agree", "yes"),
    ]


def test_a_page_without_a_form_that_posts_has_nothing_to_send():
    # REQ NFR-4
    assert last_post_form('<form method="get" action="/x"><input name="q"></form>') is None
