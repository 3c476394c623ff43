"""Northern Kurdish (Kurmanji, Latin script): Django has no formats for it.

Written for the Kurmanji (Badini) readers of Duhok and Sinjar: day before month as elsewhere in
Iraq (3 Tebax 2014, 03/08/2014), and the separators they see in Arabic and English alike
(6,417 and 0.95). Month names come from the kmr catalogue of Django's own strings
(config/formats/django_strings, in LOCALE_PATHS).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 6  # Saturday, as in Iraq

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2014-08-03 (what <input type="date"> sends)
    "%d/%m/%Y",  # 03/08/2014
    "%d.%m.%Y",  # 03.08.2014
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
