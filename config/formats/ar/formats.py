"""Arabic as written in Iraq with Latin digits: 6,417 and 0.95, not Django's 6.417 and 0,95.

Django's own Arabic formats put a comma before decimals and a dot between thousands; with the
Latin digits this application shows, Iraqi readers (and CLDR's "ar" with Latin digits) use the
opposite, so a grouped count such as 6.417 would read as six and a bit. Everything else (month
names, date order) comes from Django's Arabic formats.
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
# Django's Arabic formats leave grouping off, so the reports' large counts (grouped on purpose)
# would read 6417 in Arabic and 6,417 in English.
NUMBER_GROUPING = 3
