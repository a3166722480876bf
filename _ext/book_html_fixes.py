"""Two fixes for console errors that the theme stack of Jupyter Book 1 (Sphinx 7) puts on every page.

1. sphinx-thebe adds its inline `const THEBE_JS_URL = ...` script after the HTML builder started,
   which Sphinx < 8.2 includes twice (sphinx-doc/sphinx#13402): "Identifier 'THEBE_JS_URL' has
   already been declared". Drop repeated scripts from each page.
2. pydata-sphinx-theme logs "Got invalid theme mode: ." on a reader's first visit (empty
   localStorage). Default the mode to "auto" before the theme reads it.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        key = (script.filename or "", str(script.attributes))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    context["script_files"] = scripts


def setup(app):
    app.add_js_file(None, body='document.documentElement.dataset.mode ||= "auto";', priority=0)
    app.connect("html-page-context", _drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
