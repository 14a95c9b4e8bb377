"""Data-quality audits of citylake's silver tables and marts, with Great Expectations.

``expectations.suites`` says what must hold (docs/contracts.md in expectations);
``expectations.audit`` checks a DataFrame against a suite and keeps the reports (Data Docs).
"""
import os

# No usage statistics leave a city's machines; set before anything imports great_expectations.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
