"""Central Kurdish (Sorani): Django's own formats, with thousands grouped where a page asks.

Django's ckb formats have the separators Iraqi Kurdistan uses with Latin digits (6,417 and
0.95) but no grouping, so the reports' large counts would read 6417 here and 6,417 in English.
"""

NUMBER_GROUPING = 3
