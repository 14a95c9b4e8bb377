"""The simulation and forecasting centre: forecasts of the marts' series, growth scenarios to 2030,
and the choice of sites to monitor.

Same floor as ``spark_jobs``: it reads the warehouse and writes Delta through ``citylake`` core and
never imports ingestion, open_data, reporting or the DAGs.
"""
