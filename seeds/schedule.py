"""The dated schedule the synthetic records follow, worked out from published-figures.md.

Every number here is a *target* for how many records the generator writes in a window; the
figures themselves are always computed from those records (reports.metrics), never from here.
How the unpublished splits were chosen, from the identity of section 1:

- 2022-10-25 publishes 3,557 rescued and 147 returned, without splits. With 1,270 / 1,443
  still missing, females rescued + returned = 2,278 and males = 1,426. Since counts never fall,
  male rescues stay within 1,295..1,300, so female returns are 16..21: we take 16 (15 from the
  Dec 2021 batch, one returned individually), giving 1,295 male and 2,262 female rescues.
- 2024-12-03 publishes 3,579 rescued and 243 returned: we take women 1,210, men 339, girls
  1,070, boys 960, and 33 female / 210 male returns, all between the neighbouring snapshots.
- 13 Feb 2025: at most 31 remains can be returned (243 -> 274), not the 32 reported: the ledger
  shows that figure as a conflict.
"""

import datetime as dt

D = dt.date.fromisoformat

ABDUCTION_DAY = D("2014-08-03")
LIBERATION_OF_SINJAR = D("2015-11-13")
FIRST_EXHUMATION = D("2019-03-15")  # the first graves at Kocho were opened in March 2019

# Cases by sex (section 1 identity).
KIDNAPPED = {"female": 3548, "male": 2869}

# Rescues per window: (first day, last day, women, girls, men, boys). Windows end on snapshot days.
RESCUE_WINDOWS: list[tuple[dt.date, dt.date, int, int, int, int]] = [
    # Up to the 2 Sep 2020 snapshot: spread over the years by RESCUE_YEAR_WEIGHTS.
    (D("2014-09-05"), D("2020-09-02"), 1201, 1043, 339, 954),
    (D("2020-09-03"), D("2021-02-15"), 4, 2, 0, 2),
    (D("2021-02-16"), D("2021-08-02"), 1, 4, 0, 0),
    (D("2021-08-03"), D("2022-10-25"), 2, 5, 0, 0),
    # Before the KRG aid launch of 4 Aug 2024 (3,575 paid at launch need 3,575 rescued by then).
    (D("2022-10-26"), D("2024-07-20"), 2, 14, 0, 4),
    (D("2024-08-15"), D("2024-12-03"), 0, 2, 0, 0),
    (D("2024-12-04"), D("2025-03-02"), 1, 4, 0, 1),
    # After the last snapshot: rescues continue, no published figure to meet.
    (D("2025-06-01"), D("2026-09-30"), 1, 1, 0, 1),
]
RESCUE_YEAR_WEIGHTS = {2014: 28, 2015: 25, 2016: 20, 2017: 17, 2018: 6, 2019: 3, 2020: 1}

# Returns of remains: (first day, last day, female, male, ceremony). A one-day window is a
# collective reburial; a longer one, individual handovers.
RETURN_WINDOWS: list[tuple[dt.date, dt.date, int, int, str]] = [
    (D("2021-02-06"), D("2021-02-06"), 0, 104, "Collective reburial, Kocho, 6 Feb 2021"),
    (D("2021-12-09"), D("2021-12-09"), 15, 26, "Collective reburial, 9 Dec 2021"),
    (D("2021-12-10"), D("2022-10-25"), 1, 1, ""),
    (D("2023-06-20"), D("2023-06-20"), 8, 31, "Collective reburial, 20 Jun 2023"),
    (D("2024-02-22"), D("2024-02-22"), 7, 34, "Collective reburial, early 2024"),
    (D("2024-04-01"), D("2024-07-31"), 2, 14, ""),
    (D("2025-02-13"), D("2025-02-13"), 4, 27, "Collective reburial, 13 Feb 2025"),
]
# Identified but not yet returned (Yazda, 28 Apr 2025: 275 identified against 274 returned).
IDENTIFIED_PENDING = [(D("2025-01-20"), "male")]

# Mass graves confirmed per window (47 / 80 / 82 / 93 at the published dates).
GRAVE_CONFIRMATION_WINDOWS: list[tuple[dt.date, dt.date, int]] = [
    (LIBERATION_OF_SINJAR, D("2017-12-01"), 47),
    (D("2017-12-02"), D("2019-06-03"), 33),
    (D("2019-06-04"), D("2021-02-15"), 2),
    (D("2021-08-03"), D("2024-07-31"), 11),
]
MASS_GRAVES_OPENED_BY = (D("2024-07-31"), 61)  # 93 - 32 unopened
KOCHO_GRAVES = 3
# Sites reported but never confirmed ("more than 200" sites suspected by 3 Dec 2024).
SUSPECTED_ONLY = [
    (LIBERATION_OF_SINJAR, D("2024-11-30"), 112),
    (D("2025-01-10"), D("2025-10-30"), 4),
]

# Remains recovered: fewer than 700 by 31 Jul 2024 (we write 690), 734 by 28 Apr 2025 (Yazda).
REMAINS_BY_JULY_2024 = 690
REMAINS_LATER = (D("2024-10-01"), D("2025-04-20"), 44)
KOCHO_REMAINS = 135

# DNA reference samples: about 1,280 by 6 Jun 2019 (AFP), more after.
SAMPLES_WINDOWS: list[tuple[dt.date, dt.date, int]] = [
    (D("2016-03-01"), D("2019-06-06"), 1280),
    (D("2019-06-07"), D("2025-09-30"), 1320),
]

# Aid. KRG survivors' aid: 3,575 paid at the launch on 4 Aug 2024.
KRG_AID_LAUNCH = (D("2024-08-01"), D("2024-08-04"), 3575)  # approved, paid, how many
# Yazidi Survivors Law salary: 348 approved by 1 Mar 2023; 2,228 paid by 29 Dec 2024.
YSL_APPROVAL_WINDOWS: list[tuple[dt.date, dt.date, int]] = [
    (D("2022-09-01"), D("2023-03-01"), 348),
    (D("2023-03-02"), D("2024-12-15"), 1880),
    (D("2025-01-05"), D("2025-03-20"), 60),
]
YSL_LAST_PERIOD = D("2025-03-01")
YSL_MONTHLY_AMOUNT = 800_000

DUPLICATE_RECORDS = 12
