"""The working-day calendar agrees with the Government's published holiday schedules."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from ingestion.reference.calendar import add_working_days, calendar, working_days_between


@pytest.fixture(scope="module")
def days() -> dict[date, dict]:
    return {row["date"]: row for row in calendar().to_pylist()}


def test_one_row_per_date_with_a_running_count(days):
    assert min(days) == date(2015, 1, 1) and max(days) == date(2031, 12, 31)
    assert len(days) == (date(2031, 12, 31) - date(2015, 1, 1)).days + 1
    first = days[date(2015, 1, 1)]
    assert first["holiday_name"] == "Tết Dương lịch" and not first["is_working_day"]
    assert first["working_day_seq"] == 0
    # Friday 2 January 2015 was given off in exchange for Saturday 27 December 2014
    assert days[date(2015, 1, 5)]["working_day_seq"] == 1


def test_tet_2026_is_the_nine_day_break_from_14_to_22_february(days):
    assert days[date(2026, 2, 17)]["holiday_name"] == "Tết Nguyên đán"
    assert days[date(2026, 2, 17)]["holiday_name_en"] == "Lunar New Year"
    tet = sorted(d for d, row in days.items() if row["is_tet"] and d.year == 2026)
    assert tet == [date(2026, 2, 14) + timedelta(days=i) for i in range(9)]
    assert not any(days[d]["is_working_day"] for d in tet)
    assert days[date(2026, 2, 13)]["is_working_day"] and days[date(2026, 2, 23)]["is_working_day"]


def test_reunification_and_labour_day(days):
    for year in (2025, 2026):
        assert days[date(year, 4, 30)]["holiday_name"] == "Ngày Giải phóng miền Nam"
        assert days[date(year, 5, 1)]["holiday_name"] == "Ngày Quốc tế Lao động"
        assert not days[date(year, 4, 30)]["is_working_day"] and not days[date(year, 5, 1)]["is_working_day"]
    assert days[date(2025, 9, 2)]["holiday_name"] == "Quốc khánh"
    assert days[date(2025, 4, 7)]["holiday_name"] == "Ngày Giỗ Tổ Hùng Vương"


def test_weekends_and_swapped_saturdays(days):
    saturday = days[date(2026, 3, 7)]
    assert saturday["day_of_week"] == 6 and saturday["is_weekend"] and not saturday["is_working_day"]
    # 2025: Friday 2 May off, Saturday 26 April worked in exchange (Announcement 6150/TB-BLĐTBXH)
    assert days[date(2025, 4, 26)]["is_working_day"] and days[date(2025, 4, 26)]["is_weekend"]
    assert not days[date(2025, 5, 2)]["is_working_day"] and days[date(2025, 5, 2)]["is_holiday"]


def test_working_day_arithmetic_across_tet():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert working_days_between(date(2026, 2, 23), date(2026, 2, 13)) == -1
    assert add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert add_working_days(date(2026, 2, 15), -1) == date(2026, 2, 13)   # from a Sunday inside the break
    assert add_working_days(date(2026, 2, 18), 0) == date(2026, 2, 18)
    # an ordinary week: Monday to next Monday is five working days
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_outside_the_calendar_is_an_error():
    with pytest.raises(ValueError):
        working_days_between(date(2014, 12, 31), date(2015, 1, 5))
