"""gunicorn's settings for groupement, read by `gunicorn "groupement:create_app()"` started from
this folder (gunicorn reads ./gunicorn.conf.py by default; `-c` names another file). Command-line
options still take precedence: this file only adds what the command line cannot say."""

import gc


def post_worker_init(worker) -> None:
    """Once the worker has built the application, its ~250 000 objects (modules, mappers, routes,
    templates) move to the collector's permanent generation. A full collection otherwise walks
    them all: about 130 ms (measured in the process serving the lots page at size L), inside
    whichever request triggers it, most often while the worker's caches fill (the grid's rows,
    compiled statements and templates). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()
