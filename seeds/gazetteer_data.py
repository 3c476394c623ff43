"""The gazetteer of published-figures.md section 5. Coordinates are approximate (to about a
kilometre), for drawing maps; they are not survey data."""

# (code, kind, Latin name, Arabic name, parent code, latitude, longitude, alternate spellings)
PLACES: list[tuple[str, str, str, str, str | None, float | None, float | None, str]] = [
    ("nineveh", "governorate", "Nineveh", "نينوى", None, 36.34, 43.13, "Ninawa"),
    ("sinjar", "district", "Sinjar", "سنجار", "nineveh", 36.32, 41.87, "Shingal"),
    ("al-baaj", "district", "al-Ba'aj", "البعاج", "nineveh", 36.04, 41.72, "Baaj, Ba'aj"),
    ("tal-afar", "district", "Tal Afar", "تلعفر", "nineveh", 36.38, 42.45, "Tel Afar"),
    ("sinjar-centre", "subdistrict", "Sinjar centre", "مركز سنجار", "sinjar", 36.32, 41.87, ""),
    ("sinuni", "subdistrict", "Sinuni (al-Shemal)", "سنوني (الشمال)", "sinjar", 36.47, 41.69,
     "Snune, al-Shimal"),
    ("al-qayrawan", "subdistrict", "al-Qayrawan", "القيروان", "sinjar", 36.15, 41.93,
     "Qahtaniya area"),
    ("al-baaj-centre", "subdistrict", "al-Ba'aj centre", "مركز البعاج", "al-baaj", 36.04, 41.72, ""),
    ("tal-afar-centre", "subdistrict", "Tal Afar centre", "مركز تلعفر", "tal-afar", 36.38, 42.45,
     ""),
    ("kocho", "village", "Kocho", "كوجو", "sinjar-centre", 36.22, 41.74, "Kojo, Kuju"),
    ("hardan", "village", "Hardan", "حردان", "sinuni", 36.45, 41.80, ""),
    ("solagh", "village", "Solagh", "صولاغ", "sinjar-centre", 36.30, 41.90, "Sulagh"),
    ("hamadan", "village", "Hamadan", "حمدان", "sinjar-centre", 36.27, 41.79, ""),
    ("qine", "village", "Qinê", "قني", "sinjar-centre", 36.34, 41.80, "Qini, Qiniya"),
    ("khanasor", "village", "Khanasor", "خانصور", "sinuni", 36.45, 41.62, "Khanasour"),
    ("tal-qasab", "village", "Tal Qasab", "تل قصب", "al-qayrawan", 36.21, 41.96, "Til Qasab"),
    ("tal-banat", "village", "Tal Banat", "تل بنات", "al-qayrawan", 36.24, 41.69, "Til Banat"),
    ("jidali", "village", "Jidali", "جدالة", "sinuni", 36.42, 41.76, "Jiddala"),
    ("kazrak", "village", "Kazrak", "كرزرك", "al-qayrawan", 36.23, 41.92, "Girzerik"),
    ("tel-ezer", "village", "Tel Ezer (Qahtaniya)", "تل عزير (القحطانية)", "al-qayrawan", 36.20,
     41.63, "Til Ezer, Qahtaniya"),
    ("siba-sheikh-khidir", "village", "Siba Sheikh Khidir", "سيبا شيخ خدر", "al-baaj-centre",
     36.15, 41.58, "Jazeera"),
    ("zumany", "village", "Zumany", "زوماني", "sinuni", 36.48, 41.87, "Zorava"),
    ("alo-antar", "village", "Alo Antar", "علو عنتر", "tal-afar-centre", 36.43, 42.35, ""),
    ("kasr-mihrab", "village", "Kasr Mihrab", "قصر محراب", "tal-afar-centre", 36.35, 42.38, ""),
]

# (code, name, Arabic name, share of the seeded cases)
OFFICES: list[tuple[str, str, str, float]] = [
    ("DHK", "Duhok", "دهوك", 0.45),
    ("SNJ", "Sinjar", "سنجار", 0.25),
    ("ZKH", "Zakho", "زاخو", 0.18),
    ("EBL", "Erbil", "أربيل", 0.12),
]

# Villages where the seeded cases come from, with weights (Kocho is set apart: see generator).
ORIGIN_WEIGHTS: dict[str, int] = {
    "hardan": 10, "solagh": 8, "hamadan": 6, "qine": 7, "khanasor": 9, "tal-qasab": 12,
    "tal-banat": 10, "jidali": 6, "kazrak": 7, "tel-ezer": 14, "siba-sheikh-khidir": 9,
    "zumany": 5, "kocho": 6,
}

# Where grave sites lie (Sinjar and al-Ba'aj districts, some near Tal Afar), with weights.
GRAVE_PLACE_WEIGHTS: dict[str, int] = {
    "solagh": 8, "hardan": 8, "hamadan": 6, "qine": 6, "khanasor": 5, "tal-qasab": 6,
    "tal-banat": 6, "jidali": 4, "kazrak": 6, "tel-ezer": 8, "zumany": 4,
    "siba-sheikh-khidir": 12, "alo-antar": 6, "kasr-mihrab": 5,
}
