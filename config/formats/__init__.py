"""Locale formats that Django lacks or that do not fit our readers (FORMAT_MODULE_PATH).

Django looks a format up here first, then in its own django/conf/locale/<lang>/formats.py, one
setting at a time: a file here holds only what differs.
"""
