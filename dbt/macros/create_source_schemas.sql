{#
    The delta plugin creates a source's schema as it loads the source, from whichever thread
    compiles the first model that reads it. Two threads creating the same schema in a fresh
    warehouse collide ("Catalog write-write conflict" in DuckDB), so on-run-start creates
    every source schema up front, once.
#}
{% macro create_source_schemas() %}
    {% if execute %}
        {% for schema in graph.sources.values() | map(attribute='schema') | unique | sort %}
            {% do run_query('create schema if not exists ' ~ adapter.quote(schema)) %}
        {% endfor %}
    {% endif %}
{% endmacro %}
