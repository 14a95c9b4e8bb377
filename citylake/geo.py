"""Geography every layer agrees on."""

# Ho Chi Minh City since 1 July 2025 (with former Bình Dương and Bà Rịa–Vũng Tàu, Côn Đảo included)
HCMC_BOUNDS = {"lat_min": 8.5, "lat_max": 11.6, "lon_min": 106.3, "lon_max": 107.7}
