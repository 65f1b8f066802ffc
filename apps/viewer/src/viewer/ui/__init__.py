"""The Streamlit app, shipped inside the package so a pip-installed viewer can run it.

streamlit run "$(python -c 'import viewer.ui; print(viewer.ui.APP)')"
"""

from pathlib import Path

APP = Path(__file__).resolve().with_name("streamlit_app.py")

# What makes Markdown markup inside a line: links and images `[]()!`, emphasis `*_~`, code `\``,
# tables `|`, headings `#`, HTML `<>`, Streamlit's LaTeX `$`, and the escape character itself.
_MARKDOWN = frozenset("\\`*_[]()#!|~$<>")
_IN_HTML = _MARKDOWN - frozenset("#<>")  # after html.escape: keep its entities (&#x27;) intact


def md(text: object, *, in_html: bool = False) -> str:
    """`text` shown literally inside Streamlit Markdown: no link, image, LaTeX or HTML.

    Class names, metric keys and run names come from the artifact (the model card) or the
    server: `![x](https://host/beacon.png)` as a class name would load that image for every
    visitor, and `html.escape` alone leaves Markdown alone. With `in_html`, the text goes into
    `unsafe_allow_html` markup: HTML-escape it first, then escape the Markdown around it. Bidi
    overrides (U+202E), zero-width and control characters are shown as `\\uXXXX`.
    """
    import html

    from wb_common.card import escape_unsafe

    text = escape_unsafe(str(text).replace("\n", " "), allow="")
    text = html.escape(text, quote=False) if in_html else text
    specials = _IN_HTML if in_html else _MARKDOWN
    return "".join(f"\\{c}" if c in specials else c for c in text.replace("\n", " "))
